//! Harness for the cross-component tests: the real desktop app driven over
//! WebDriver (`tauri-driver` + `WebKitWebDriver` under Xvfb), the
//! headquarters console in headless Chromium (`chromedriver`), and helpers
//! to look at their processes.
#![forbid(unsafe_code)]

pub mod chromium;
pub mod cluster;
pub mod console;
pub mod desktop;
pub mod flows;
pub mod process;
pub mod proxy;
pub mod sse;
pub mod webdriver;

use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A directory removed when dropped (`tempfile` does the removing); `.0` is
/// its path.
pub struct TempDir(pub PathBuf, pub tempfile::TempDir);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = tempfile::Builder::new().prefix(&format!("nexus-{name}-")).tempdir().expect("temp dir");
        TempDir(dir.path().to_owned(), dir)
    }
}

/// Where `program` is installed: on `PATH`, or in `~/.cargo/bin`.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")))
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// A loopback port free right now, for a driver to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
