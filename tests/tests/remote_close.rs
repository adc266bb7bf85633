//! Remote close end to end: a real terminal engine enrolled to a real
//! central. The owner asks central to close a session the cashier left open;
//! the terminal closes it on its next sync, "closed by owner, not counted",
//! and central ends up with exactly one close — the terminal's own count
//! when it had closed the session offline first.

use nexus_domain::sync::OpKind;
use nexus_e2e::cluster::{Hq, MARIA, Store, close, open, sell};
use nexus_e2e::proxy::Rng;
use nexus_terminal::cash_session::HomeCase;
use nexus_terminal::movements::{MovementKind, NewMovement};
use serde_json::{Value, json};
use uuid::Uuid;

/// Asks central, as the demo tenant's owner at HQ, to close `session`.
async fn ask_remote_close(hq: &Hq, session: Uuid) -> Value {
    let token = nexus_central::testing::demo_hq_token(&hq.central).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v1/sessions/{session}/remote-close", hq.url()))
        .bearer_auth(token)
        .json(&json!({ "reason": "La cajera se fue sin cerrar la caja" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    res.json().await.unwrap()
}

/// The request's status at central.
async fn request_status(hq: &Hq, request: &Value) -> String {
    let id: Uuid = request["id"].as_str().unwrap().parse().unwrap();
    sqlx::query_scalar("SELECT status FROM remote_close_requests WHERE id = $1")
        .bind(id)
        .fetch_one(&hq.db)
        .await
        .unwrap()
}

/// The session at central: status, counted and difference (cents).
async fn central_session(hq: &Hq, session: Uuid) -> (String, Option<i64>, Option<i64>) {
    sqlx::query_as(
        "SELECT status, (counted_amount * 100)::int8, (difference * 100)::int8 FROM cash_sessions WHERE id = $1",
    )
    .bind(session)
    .fetch_one(&hq.db)
    .await
    .unwrap()
}

/// How many closes of `session` reached central (the till's audit entries),
/// and whether every op of the till was applied, none rejected.
async fn closes_at_central(hq: &Hq, store: &Store, session: Uuid) -> i64 {
    let device = store.terminal.device().unwrap().device_id;
    let rejected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync_ops WHERE device_id = $1 AND status = 'rejected'")
            .bind(device)
            .fetch_one(&hq.db)
            .await
            .unwrap();
    assert_eq!(rejected, 0, "every op of the till was accepted");
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE chain = $1 AND entity_id = $2
         AND action IN ('CASH_SESSION_CLOSE', 'CASH_SESSION_REMOTE_CLOSE')",
    )
    .bind(device.to_string())
    .bind(session.to_string())
    .fetch_one(&hq.db)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_owner_closes_remotely_is_closed_on_the_terminal_not_counted_and_once_at_central() {
    let hq = Hq::start().await;
    let store = Store::enroll(&hq, &hq.url(), "Mostrador 1").await;
    let mut rng = Rng::new(9);
    let session = open(&store.terminal, MARIA, "500");
    sell(&store.terminal, session, &mut rng);
    store.settle().await;
    let expected = store.terminal.session_report(session).unwrap().expected_cents;

    let request = ask_remote_close(&hq, session).await;
    assert_eq!(request["status"], "pending");
    assert_eq!(central_session(&hq, session).await.0, "OPEN", "central waits for the till");
    let before = store.terminal.outbox_status().unwrap().head_seq;

    store.client.round().await.unwrap();

    // The terminal closed it as a local action, with its op and audit entry.
    let ops = store.terminal.ops_after(before, 100).unwrap();
    assert_eq!(ops.len(), 1, "one new op: the close");
    assert_eq!(ops[0].kind, OpKind::SessionClosedByOwner);
    assert_eq!(ops[0].audit.action, "CASH_SESSION_REMOTE_CLOSE");
    assert_eq!(ops[0].payload["request_id"], request["id"]);
    assert_eq!(store.terminal.outbox_status().unwrap().pending, 0, "pushed in the same round");
    // The cashier is not stuck: her home shows no open session, the
    // session's report says closed, not counted, and nothing more sells on it.
    store.terminal.login(MARIA).unwrap();
    let home = store.terminal.home().unwrap();
    assert_eq!(home.open_cash_session_id, None);
    assert_ne!(home.case, HomeCase::OpenSession);
    let z = store.terminal.session_report(session).unwrap();
    assert_eq!(z.session.status, "CLOSED");
    assert_eq!((z.counted_cents, z.difference_cents), (None, None), "not counted");
    assert_eq!(z.session.expected_cents, Some(expected));
    assert_eq!(z.audit_head_seq, ops[0].seq, "the report ends with the close");
    let moved = store.terminal.move_cash(&NewMovement {
        cash_session_id: session,
        kind: MovementKind::In,
        amount: "50".into(),
        reason: "Cambio".into(),
    });
    assert!(moved.is_err(), "a closed session takes no more cash: {moved:?}");

    // Central: closed once by the till's op, not counted; the request applied.
    assert_eq!(central_session(&hq, session).await, ("CLOSED".into(), None, None));
    assert_eq!(request_status(&hq, &request).await, "applied");
    assert_eq!(closes_at_central(&hq, &store, session).await, 1);

    // The request comes down again as applied: the terminal does nothing more.
    let head = store.terminal.outbox_status().unwrap().head_seq;
    store.settle().await;
    assert_eq!(store.terminal.outbox_status().unwrap().head_seq, head);
    assert_eq!(closes_at_central(&hq, &store, session).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_terminal_closed_offline_keeps_its_count_and_the_owners_request_is_superseded() {
    let hq = Hq::start().await;
    let store = Store::enroll(&hq, &hq.url(), "Mostrador 1").await;
    let mut rng = Rng::new(10);
    let session = open(&store.terminal, MARIA, "500");
    sell(&store.terminal, session, &mut rng);
    store.settle().await;

    // Offline, María closes with her count; meanwhile the owner asks.
    close(&store.terminal, session);
    let counted = store.terminal.session_report(session).unwrap().counted_cents;
    assert!(counted.is_some());
    let request = ask_remote_close(&hq, session).await;
    let head = store.terminal.outbox_status().unwrap().head_seq;

    store.settle().await;

    assert_eq!(store.terminal.outbox_status().unwrap().head_seq, head, "the terminal ignored the request");
    let z = store.terminal.session_report(session).unwrap();
    assert_eq!((z.session.status.as_str(), z.counted_cents), ("CLOSED", counted), "her count stands");
    let (status, central_counted, difference) = central_session(&hq, session).await;
    assert_eq!((status.as_str(), central_counted, difference), ("CLOSED", counted, Some(0)));
    assert_eq!(request_status(&hq, &request).await, "superseded");
    assert_eq!(closes_at_central(&hq, &store, session).await, 1, "never two closes");
}
