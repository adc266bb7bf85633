//! The desktop app's start-up and memory, each against a bare webview
//! measured in the same run: the same binary told to show `about:blank`
//! (`NEXUS_PROBE_BLANK`), which is what the platform alone costs.
//!
//! ```sh
//! cargo build --release -p nexus-desktop -p nexus-terminal
//! scripts/with-keyring.sh xvfb-run -a cargo bench -p nexus-e2e --bench desktop
//! ```
//! `NEXUS_BENCH_STARTS` sets how many starts of each (default 10).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nexus_e2e::desktop::{App, Driver};
use nexus_e2e::{TempDir, flows, process, workspace};

const KEYRING: &str = nexus_e2e::desktop::KEYRING_SERVICE;

fn release(name: &str) -> PathBuf {
    let path = workspace().join("target/release").join(name);
    assert!(
        path.is_file(),
        "{} is not built: cargo build --release -p nexus-desktop -p nexus-terminal",
        path.display()
    );
    path
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Starts the app until its first screen takes keys (or the blank page
/// loads) and returns the milliseconds it reported.
fn start(app: &Path, data: &Path, blank: bool) -> f64 {
    let mut cmd = Command::new(app);
    cmd.args(["--data-dir", &data.to_string_lossy(), "--keyring-service", KEYRING])
        .env("NEXUS_READY_EXIT", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    if blank {
        cmd.env("NEXUS_PROBE_BLANK", "1");
    }
    let out = cmd.output().expect("the app starts");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("ready_ms="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no ready_ms in {text:?}"))
}

/// Memory of the blank webview once loaded.
fn blank_memory(app: &Path, data: &Path) -> f64 {
    let mut child = Command::new(app)
        .args(["--data-dir", &data.to_string_lossy(), "--keyring-service", KEYRING])
        .env("NEXUS_PROBE_BLANK", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app starts");
    std::thread::sleep(Duration::from_secs(4));
    let mib = process::tree_pss_mib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    mib
}

fn main() {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run (see the module documentation)");
    let starts: usize = std::env::var("NEXUS_BENCH_STARTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let app = release("nexus-pos");
    let data = TempDir::new("bench-desktop");
    let setup = Command::new(release("pos-terminal"))
        .args(["--data-dir", &data.0.to_string_lossy(), "--keyring-service", KEYRING, "setup", "--demo"])
        .output()
        .unwrap();
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));

    // Warm the disk cache once, then alternate so noise hits both alike.
    start(&app, &data.0, true);
    start(&app, &data.0, false);
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..starts {
        bare.push(start(&app, &data.0, true));
        ours.push(start(&app, &data.0, false));
    }
    let (ours, bare) = (median(ours), median(bare));

    let blank_mib = blank_memory(&app, &data.0);
    // A whole shift, driven over WebDriver, on the same release binary.
    let driver = Driver::start().expect("tauri-driver");
    let session = App::launch_binary(&driver, "bench-shift", &app).expect("the app starts under WebDriver");
    let started = Instant::now();
    flows::shift(&session);
    let shift_secs = started.elapsed().as_secs_f64();
    let pid = session.pid().expect("the app's process");
    let shift_mib = process::tree_pss_mib(pid);
    drop(session);

    println!("| what | measured | baseline | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| Cold start to a PIN pad that takes keys (median of {starts}) | {ours:.0} ms | {bare:.0} ms (the same binary showing about:blank) | {:.2} | < 1 s absolute |",
        ours / bare
    );
    println!(
        "| Memory (PSS of the app and its web processes) after a whole shift ({shift_secs:.0} s) | {shift_mib:.0} MiB | {blank_mib:.0} MiB (bare webview) | {:.2} | < 150 MB absolute |",
        shift_mib / blank_mib
    );
}
