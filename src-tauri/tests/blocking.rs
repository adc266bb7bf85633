//! Commands run their engine calls (bcrypt, SQLite commits and their fsync)
//! off the async runtime's worker threads, which the background sync
//! shares: while more commands than there are workers are busy, the
//! runtime still runs other tasks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use nexus_desktop::commands::blocking;
use tauri::async_runtime;

/// A door the blocked work waits at until an async task opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

#[test]
fn busy_commands_leave_the_async_threads_free_for_the_sync_loop() {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let commands = workers * 2 + 1;
    let gate = Arc::new(Gate::default());
    let started = Arc::new(AtomicUsize::new(0));

    // More commands than workers, each stuck in blocking work, spawned as
    // Tauri spawns an async command.
    let running: Vec<_> = (0..commands)
        .map(|i| {
            let (gate, started) = (gate.clone(), started.clone());
            async_runtime::spawn(blocking(move || {
                started.fetch_add(1, Ordering::SeqCst);
                gate.wait();
                Ok(i)
            }))
        })
        .collect();
    while started.load(Ordering::SeqCst) < workers {
        std::thread::yield_now();
    }

    // Only another task on the runtime (as the sync loop is) opens the gate.
    let opener = gate.clone();
    async_runtime::spawn(async move { opener.open() });

    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let answers: Vec<usize> = async_runtime::block_on(async {
            let mut answers = Vec::new();
            for command in running {
                answers.push(command.await.unwrap().unwrap());
            }
            answers
        });
        let _ = done.send(answers);
    });
    // A generous bound only so that a regression fails instead of hanging.
    let answers = finished
        .recv_timeout(Duration::from_secs(120))
        .expect("the runtime's workers were all blocked: the gate task never ran");
    assert_eq!(answers, (0..commands).collect::<Vec<_>>());
}

#[test]
fn a_panic_in_an_engine_call_answers_an_error_instead_of_ending_the_shell() {
    let answer = async_runtime::block_on(blocking::<(), _>(|| panic!("a bug in the engine")));
    let error = answer.unwrap_err();
    assert_eq!(error.code, "internal");
    assert!(!error.message.is_empty());
}
