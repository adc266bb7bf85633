//! Headquarters' live board across real processes: two `pos-central`
//! instances over one master database, a real terminal talking to one of
//! them, and the board's event stream open on the other.

use std::time::Duration;

use nexus_e2e::cluster::{Hq, MARIA, Store, close, open};
use nexus_e2e::proxy::Rng;
use nexus_e2e::sse::Events;
use nexus_terminal::movements::{MovementKind, NewMovement};
use serde_json::{Value, json};

/// Only a guard against a hang: the test waits for the events it expects.
const GUARD: Duration = Duration::from_secs(60);

fn sessions(board: &Value) -> &Vec<Value> {
    board["sessions"].as_array().expect("the board lists sessions")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_at_a_store_shows_live_on_a_board_served_by_another_central_process() {
    let hq = Hq::start().await;
    let second = hq.another_instance().await;
    // The store syncs with the second process; headquarters watches the first.
    let store = Store::enroll(&hq, &second.url(), "Mostrador Norte").await;
    let token = nexus_central::testing::demo_hq_token(&hq.central).await;
    let mut board = Events::open(&format!("{}/v1/board/events", hq.url()), &token).await;
    let now = board.until("board", GUARD, |_| true).await;
    assert!(sessions(&now).is_empty(), "nobody is at a register yet: {now}");

    let session = open(&store.terminal, MARIA, "500");
    let mut rng = Rng::new(7);
    nexus_e2e::cluster::sell(&store.terminal, session, &mut rng);
    nexus_e2e::cluster::sell(&store.terminal, session, &mut rng);
    store
        .terminal
        .move_cash(&NewMovement {
            cash_session_id: session,
            kind: MovementKind::Out,
            amount: "100".into(),
            reason: "Retiro a caja fuerte".into(),
        })
        .unwrap();
    store.settle().await;
    let z = store.terminal.session_report(session).unwrap();
    let live = board
        .until("board", GUARD, |b| {
            sessions(b)
                .first()
                .is_some_and(|s| s["sales_count"] == 2 && s["expected_cash_cents"] == z.expected_cents)
        })
        .await;
    let [s] = sessions(&live).as_slice() else { panic!("one open session: {live}") };
    assert_eq!(s["session_id"], json!(session));
    assert_eq!(s["cashier_name"], json!(z.session.opened_by_name));
    assert_eq!(s["sales_total_cents"], z.sales_total_cents);
    assert_eq!(s["device"]["id"], json!(store.terminal.device().unwrap().device_id));
    assert_eq!(s["device"]["name"], "Mostrador Norte");
    assert_eq!(s["offline"], false);

    close(&store.terminal, session);
    store.settle().await;
    board.until("board", GUARD, |b| sessions(b).is_empty()).await;
}
