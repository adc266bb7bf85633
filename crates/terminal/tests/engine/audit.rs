use nexus_domain::sync::{Op, OpKind};

use crate::helpers::{MARIA, TestTerminal};

fn busy_day(t: &TestTerminal) {
    let s = t.open_first(MARIA, "500");
    t.sell_cash(s.id, &[("FRAM-PH3614", 1)], "200").unwrap();
    t.sell_cash(s.id, &[("NGK-BKR5E11", 2), ("WD40-311", 1)], "500").unwrap();
    t.terminal.lock().unwrap();
}

#[test]
fn every_action_commits_its_audit_entry_and_its_op_together_gaplessly() {
    let t = TestTerminal::demo();
    busy_day(&t);
    let raw = t.raw();
    let (audits, ops, max_seq): (i64, i64, i64) = raw
        .query_row("SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM outbox), (SELECT max(seq) FROM outbox)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((audits, ops), (max_seq, max_seq), "one entry and one op per action, seqs 1..n without gaps");
    let ops: Vec<Op> = t.ops_after(0, 1000).unwrap();
    for (i, op) in ops.iter().enumerate() {
        assert_eq!(op.seq, i as i64 + 1);
        assert_eq!(op.audit.seq, op.seq, "the op's seq is its audit entry's place on the chain");
        assert_eq!(op.device_id, t.device().unwrap().device_id);
        let stored: Vec<u8> =
            raw.query_row("SELECT hash FROM audit_log WHERE seq = ?1", [op.seq], |r| r.get(0)).unwrap();
        assert_eq!(nexus_domain::sync::hex(&stored), op.audit.hash);
    }
    let kinds: Vec<OpKind> = ops.iter().map(|o| o.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == OpKind::SaleCompleted).count(), 2);
    assert!(kinds.contains(&OpKind::SessionOpened) && kinds.contains(&OpKind::Access));
    let sale = ops.iter().find(|o| o.kind == OpKind::SaleCompleted).unwrap();
    let payload: nexus_domain::sync::payload::SaleCompleted =
        serde_json::from_value(sale.payload.clone()).unwrap();
    assert_eq!(payload.totals.total.cents(), 11_020);
    assert_eq!(t.outbox_status().unwrap().pending, max_seq);
}

#[test]
fn the_audit_log_refuses_update_and_delete() {
    let t = TestTerminal::demo();
    busy_day(&t);
    let raw = t.raw();
    for sql in ["UPDATE audit_log SET action = 'X' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"] {
        let err = raw.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("audit_log is insert-only"), "{sql}: {err}");
    }
    assert!(t.verify_audit().unwrap().intact);
}

/// Someone who owns the file drops the triggers and rewrites history.
fn tamper(t: &TestTerminal, sql: &str) {
    let raw = t.raw();
    raw.execute_batch(&format!("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"))
        .unwrap();
}

#[test]
fn the_chain_check_finds_an_edited_entry() {
    let t = TestTerminal::demo();
    busy_day(&t);
    tamper(
        &t,
        "UPDATE audit_log SET new_value = replace(new_value, '11020', '1') WHERE new_value LIKE '%11020%'",
    );
    let v = t.verify_audit().unwrap();
    let broken = v.broken.unwrap();
    assert_eq!(broken.kind, "edited");
    let action: String =
        t.raw().query_row("SELECT action FROM audit_log WHERE seq = ?1", [broken.seq], |r| r.get(0)).unwrap();
    assert_eq!(action, "SALE");
}

#[test]
fn the_chain_check_finds_a_deleted_entry() {
    let t = TestTerminal::demo();
    busy_day(&t);
    tamper(&t, "DELETE FROM audit_log WHERE seq = 4");
    let broken = t.verify_audit().unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.kind), (5, "out_of_sequence"));
    assert!(broken.message.contains("se esperaba la entrada 4"));
}

#[test]
fn the_chain_check_finds_reordered_entries() {
    let t = TestTerminal::demo();
    busy_day(&t);
    tamper(
        &t,
        "UPDATE audit_log SET seq = 1000000 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 1000000;",
    );
    let broken = t.verify_audit().unwrap().broken.unwrap();
    assert_eq!(broken.seq, 4);
    assert!(["unlinked", "edited"].contains(&broken.kind), "{broken:?}");
}

#[test]
fn the_chain_check_finds_entries_cut_from_the_end() {
    let t = TestTerminal::demo();
    busy_day(&t);
    let last = t.count("SELECT max(seq) FROM audit_log");
    tamper(&t, &format!("DELETE FROM audit_log WHERE seq = {last}"));
    let broken = t.verify_audit().unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.kind), (last, "truncated"));
    // The command line says so too, with a failing exit status.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-terminal"))
        .args(["verify-audit"])
        .env("NEXUS_TERMINAL_DIR", t.path())
        .env("NEXUS_KEYRING_SERVICE", crate::helpers::KEYRING_SERVICE)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ROTA"));
}

#[test]
fn a_malformed_chain_head_is_an_error_never_a_fresh_chain() {
    let t = TestTerminal::demo();
    busy_day(&t);
    let entries = t.count("SELECT count(*) FROM audit_log");
    // Cut the head down to a few bytes, as a careless or hostile edit would.
    t.raw().execute_batch("UPDATE sync_state SET head_hash = X'0102'").unwrap();
    crate::helpers::assert_code(t.verify_audit(), "audit_chain_corrupt");
    // Nothing chains onto it: the next audited action is refused …
    crate::helpers::assert_code(t.terminal.login(MARIA), "audit_chain_corrupt");
    assert_eq!(t.count("SELECT count(*) FROM audit_log"), entries);
    // … and the command line fails too.
    let out = crate::helpers::pos_terminal(t.path(), None, &["--json", "verify-audit"]);
    assert_eq!(crate::helpers::json_error(&out).0, "audit_chain_corrupt");
}

#[test]
fn a_malformed_link_hash_is_an_error_not_the_genesis_hash() {
    let t = TestTerminal::demo();
    busy_day(&t);
    // The CHECK on its length does not stop someone editing the file.
    tamper(&t, "PRAGMA ignore_check_constraints = ON; UPDATE audit_log SET prev_hash = X'00' WHERE seq = 1");
    assert!(t.verify_audit().is_err(), "a one-byte prev_hash is not read as genesis");
}
