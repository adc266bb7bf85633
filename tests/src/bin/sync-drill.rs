//! A terminal process for the crash tests: the engine with its sync task
//! running, as in the desktop app, and a cashier selling as fast as the
//! engine takes it. After every committed action it prints one line,
//! `<kind> <id>`, so the test knows what was committed when it kills the
//! process with SIGKILL.
//!
//! Usage: `sync-drill <terminal dir> <seed>`; the secrets are in the
//! `nexus-pos-sync-test` service of the OS secret store.

use std::io::Write;
use std::sync::Arc;

use nexus_e2e::cluster::{MARIA, close, open, options, pacing, sell};
use nexus_e2e::proxy::Rng;
use nexus_terminal::Terminal;
use nexus_terminal::movements::{MovementKind, NewMovement};
use nexus_terminal::sync::SyncClient;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: sync-drill <terminal dir> <seed>");
    let seed: u64 =
        args.next().and_then(|s| s.parse().ok()).expect("usage: sync-drill <terminal dir> <seed>");
    let terminal =
        Arc::new(Terminal::open(std::path::Path::new(&dir), options()).expect("the terminal opens"));
    let client =
        SyncClient::new(terminal.clone(), pacing()).expect("a client").expect("an enrolled terminal");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let waker = client.clone();
    terminal.set_commit_listener(Arc::new(move || waker.wake()));
    runtime.spawn(client.run());

    let mut rng = Rng::new(seed);
    let mut out = std::io::stdout().lock();
    let mut session = open(&terminal, MARIA, "500");
    loop {
        match rng.below(20) {
            0 => {
                close(&terminal, session);
                writeln!(out, "close {session}").expect("stdout");
                session = open(&terminal, MARIA, "500");
                writeln!(out, "open {session}").expect("stdout");
            }
            1 | 2 => {
                let movement = terminal
                    .move_cash(&NewMovement {
                        cash_session_id: session,
                        kind: if rng.chance(50) { MovementKind::In } else { MovementKind::Out },
                        amount: format!("{}", 1 + rng.below(20)),
                        reason: "Simulacro".into(),
                    })
                    .expect("the movement commits");
                writeln!(out, "movement {}", movement.id).expect("stdout");
            }
            _ => {
                let sale = sell(&terminal, session, &mut rng);
                writeln!(out, "sale {sale}").expect("stdout");
            }
        }
        out.flush().expect("stdout");
    }
}
