//! Harness for the cross-component tests: the real desktop app driven over
//! WebDriver (`tauri-driver` + `WebKitWebDriver` under Xvfb), and helpers
//! to look at its processes.
#![forbid(unsafe_code)]

pub mod cluster;
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
