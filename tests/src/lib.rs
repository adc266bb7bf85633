//! Harness for the cross-component tests: the real desktop app driven over
//! WebDriver (`tauri-driver` + `WebKitWebDriver` under Xvfb), and helpers
//! to look at its processes.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod desktop;
pub mod flows;
pub mod process;
pub mod proxy;
pub mod webdriver;

use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("nexus-{name}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
