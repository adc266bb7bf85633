//! Looking at running processes through `/proc` (Linux).

use std::fs;

/// The first process whose command line contains `needle`.
pub fn find_with_arg(needle: &str) -> Option<u32> {
    let mut pids: Vec<u32> =
        fs::read_dir("/proc").ok()?.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    pids.sort();
    pids.into_iter().find(|pid| {
        fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " ").contains(needle))
            .unwrap_or(false)
    })
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields resume after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `pid` and every process descending from it.
pub fn tree(pid: u32) -> Vec<u32> {
    let all: Vec<u32> = fs::read_dir("/proc")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(all.iter().copied().filter(|p| parent_of(*p) == Some(parent)));
        i += 1;
    }
    out
}

/// Proportional set size of a process, in KiB: its share of the memory it
/// uses, so shared libraries are not counted once per process.
pub fn pss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Memory of a process and everything it started (the web content
/// processes of a webview), in MiB.
pub fn tree_pss_mib(pid: u32) -> f64 {
    tree(pid).into_iter().map(pss_kib).sum::<u64>() as f64 / 1024.0
}
