//! The `pos-terminal` command line run as a script runs it: the real binary
//! on a real data directory, reading its exit status and JSON.

use nexus_terminal::Terminal;

use crate::helpers::{JUAN, MARIA, TestTerminal, json_error, pos_terminal, tempdir};

const SEED_004_CLOSE: &str = "Cash session not found/OPEN or not owned by user";

#[test]
fn closing_someone_elses_session_answers_seed_004s_message() {
    let t = TestTerminal::demo();
    let maria = t.open_first(MARIA, "500");
    // Juan has no session of his own to close …
    let out = pos_terminal(t.path(), Some(JUAN), &["--json", "close", "--counted", "500"]);
    assert_eq!(json_error(&out), ("session_not_closable".into(), SEED_004_CLOSE.into()));
    // … and naming Maria's does not make it his.
    let id = maria.id.to_string();
    let out = pos_terminal(t.path(), Some(JUAN), &["--json", "close", "--counted", "500", "--session", &id]);
    assert_eq!(json_error(&out), ("session_not_closable".into(), SEED_004_CLOSE.into()));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(t.count("SELECT count(*) FROM outbox WHERE kind = 'session_closed'"), 0);
    assert_eq!(t.as_(MARIA).home().unwrap().open_cash_session_id, Some(maria.id));
}

#[test]
fn an_empty_count_does_not_close_and_a_zero_count_needs_confirming() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    let close = |args: &[&str]| {
        let mut all = vec!["--json", "close"];
        all.extend_from_slice(args);
        pos_terminal(t.path(), Some(MARIA), &all)
    };
    for args in
        [&["--count="][..], &["--counted="], &["--counted", "  "], &[], &["--count=", "--confirm-zero"]]
    {
        let (code, message) = json_error(&close(args));
        assert_eq!(code, "count_empty", "close {args:?}: {message}");
    }
    for args in [&["--counted", "0"][..], &["--count=B500=0,C1=0"], &["--counted", "$0.00"]] {
        let (code, message) = json_error(&close(args));
        assert_eq!(code, "zero_count_unconfirmed", "close {args:?}: {message}");
        assert!(message.contains("confirma"), "{message}");
    }
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'session_closed'"),
        0,
        "a refused close writes nothing"
    );
    assert_eq!(t.as_(MARIA).home().unwrap().open_cash_session_id, Some(s.id));
    let out = close(&["--counted", "0", "--confirm-zero"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let z: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((z["counted_cents"].as_i64(), z["difference_cents"].as_i64()), (Some(0), Some(-50_000)));
}

#[test]
fn with_json_every_error_is_json_even_a_mistyped_argument() {
    let t = TestTerminal::demo();
    let cases: &[&[&str]] = &[
        &["--json"],
        &["--json", "frobnicate"],
        &["--json", "sell"],
        &["--json", "open", "--amount"],
        &["--json", "move", "--kind", "sideways", "--amount", "1", "--reason", "x"],
        &["--json", "report", "--session", "not-a-uuid"],
        &["close", "--counted", "1", "--bogus", "--json"],
    ];
    for args in cases {
        let out = pos_terminal(t.path(), Some(MARIA), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let (code, message) = json_error(&out);
        assert_eq!(code, "invalid_arguments", "{args:?}");
        assert!(!message.is_empty() && !message.starts_with("error:"), "{args:?}: {message}");
    }
    // A refusal by the engine is JSON too, with its own code.
    let out = pos_terminal(t.path(), Some(MARIA), &["--json", "open", "--amount", "12,50"]);
    let (code, message) = json_error(&out);
    assert_eq!(code, "invalid_amount");
    assert!(message.contains("1,250.00"), "{message}");
    // Without --json the same mistake is text for a person.
    let out = pos_terminal(t.path(), Some(MARIA), &["frobnicate"]);
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stderr).is_err());
    // Help is not an error.
    assert!(pos_terminal(t.path(), None, &["--json", "--help"]).status.success());
}

#[test]
fn a_command_on_a_data_directory_without_a_terminal_says_so_and_creates_nothing() {
    let base = tempdir();
    let missing = base.path().join("no-such-terminal");
    for args in
        [&["--json", "home"][..], &["--json", "status"], &["--json", "verify-audit"], &["--json", "outbox"]]
    {
        let (code, message) = json_error(&pos_terminal(&missing, Some(MARIA), args));
        assert_eq!(code, "data_dir_missing", "{args:?}");
        assert!(message.contains("no-such-terminal"), "{message}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // An existing directory that holds no terminal gets no database either.
    let (code, _) = json_error(&pos_terminal(base.path(), Some(MARIA), &["--json", "status"]));
    assert_eq!(code, "data_dir_missing");
    assert!(!Terminal::database_path(base.path()).exists());
    // Setting up is what makes one.
    let out = pos_terminal(&missing, None, &["--json", "setup", "--demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(Terminal::database_path(&missing).is_file());
    let _ = Terminal::open(
        &missing,
        crate::helpers::options(&std::sync::Arc::new(nexus_terminal::ManualClock::new(
            crate::helpers::start_time(),
        ))),
    )
    .and_then(|t| t.forget_secrets());
}

#[test]
fn enrolling_over_plain_http_to_another_machine_needs_insecure() {
    let dir = tempdir();
    let enroll = |extra: &[&str]| {
        let mut args = vec!["--json", "enroll", "--central", "http://0.0.0.0:9", "--code", "K7QX-M2PD-9HTA"];
        args.extend_from_slice(extra);
        pos_terminal(dir.path(), None, &args)
    };
    let (code, message) = json_error(&enroll(&[]));
    assert_eq!(code, "insecure_central", "{message}");
    assert!(message.contains("--insecure"), "{message}");
    // With the explicit choice the check lets it through: only the network
    // (nothing listens there) is left to refuse it.
    let (code, message) = json_error(&enroll(&["--insecure"]));
    assert_eq!(code, "sync_failed", "{message}");
    assert!(message.contains("Sin conexión"), "{message}");
    // At the shell the choice is warned about.
    let out = pos_terminal(
        dir.path(),
        None,
        &["enroll", "--central", "http://0.0.0.0:9", "--code", "K7QX-M2PD-9HTA", "--insecure"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Aviso: --insecure"));
}
