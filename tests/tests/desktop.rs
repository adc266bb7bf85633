//! The real desktop app, driven over WebDriver with the keyboard only.
//!
//! Each test starts the app on a fresh data directory, under a private X
//! display, with its secrets in the real OS secret store (the test run's
//! private gnome-keyring). Every screen it passes through is saved under
//! `target/e2e-screenshots/`.

use std::sync::Mutex;
use std::time::Duration;

use nexus_e2e::desktop::{App, Driver};
use nexus_e2e::flows::{cents, demo_store, gone, login, shift, text, text_until, wait, wait_focus};
use nexus_e2e::webdriver::keys::{ARROW_DOWN, ENTER, ESCAPE, F1, F12, TAB};

/// One app at a time: the app is single-instance per desktop session.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn a_whole_shift_by_keyboard_closes_with_the_right_difference() {
    let _one = serial();
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "shift").unwrap();
    shift(&app);
    let s = &app.session;
    assert_eq!(cents(&text(s, "[data-test=z-expected]")), 57_400);
    assert_eq!(cents(&text(s, "[data-test=z-counted]")), 57_000);
    assert_eq!(cents(&text(s, "[data-test=z-difference]")), -400);
    assert!(text(s, "[data-test=z-chain-head]").len() >= 16, "the chain head is printed");
}

#[test]
fn a_wrong_pin_is_refused_and_repeated_ones_lock_the_pad_with_a_countdown() {
    let _one = serial();
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "lockout").unwrap();
    let s = &app.session;
    demo_store(&app);
    wait_focus(s, "pin-pad");
    s.keys("9999").unwrap();
    text_until(s, "[data-test=pin-error]", |t| t.contains("PIN incorrecto"));
    app.screenshot("wrong-pin").unwrap();
    for _ in 0..4 {
        wait_focus(s, "pin-pad");
        s.keys("9999").unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    s.keys("1111").unwrap();
    text_until(s, "[data-test=pin-error]", |t| t.contains("Demasiados intentos"));
    let countdown = text_until(s, "[data-test=pin-countdown]", |t| t.chars().any(|c| c.is_ascii_digit()));
    assert!(!countdown.is_empty());
    assert!(s.try_find("[data-test=session-card]").is_none(), "still locked out");
    app.screenshot("locked").unwrap();
}

#[test]
fn a_cashier_without_a_register_is_told_to_ask_an_admin() {
    let _one = serial();
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "no-register").unwrap();
    let s = &app.session;
    demo_store(&app);
    login(&app, "4444");
    wait(s, "[data-test=session-card][data-case=no_registers]");
    assert!(text(s, "[data-test=no-registers-alert]").to_lowercase().contains("admin"));
    app.screenshot("no-registers").unwrap();
}

#[test]
fn a_cashier_with_two_registers_picks_one() {
    let _one = serial();
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "two-registers").unwrap();
    let s = &app.session;
    demo_store(&app);
    login(&app, "3333");
    wait(s, "[data-test=session-card][data-case=several_registers]");
    app.screenshot("several-registers").unwrap();
    wait_focus(s, "register-select");
    s.keys(ARROW_DOWN).unwrap();
    s.keys(TAB).unwrap();
    wait_focus(s, "opening-amount");
    s.keys(&format!("300{ENTER}")).unwrap();
    wait(s, "[data-test=sale-screen]");
    text_until(s, "[data-test=status-session]", |t| t.contains("Caja 2"));
    app.screenshot("sale-screen").unwrap();

    // F1 lists the shortcuts; Esc closes it; F12 locks the counter.
    s.keys(F1).unwrap();
    let help = text(s, "[data-test=shortcuts-help]");
    for key in ["F1", "F2", "F4", "F8", "F10", "F12", "Esc"] {
        assert!(help.contains(key), "{key} is listed: {help}");
    }
    app.screenshot("help").unwrap();
    s.keys(ESCAPE).unwrap();
    gone(s, "[data-test=shortcuts-help]");
    s.keys(F12).unwrap();
    wait(s, "[data-test=pin-pad]");
}

#[test]
fn a_standalone_store_is_set_up_with_the_owner_pin_typed_twice() {
    let _one = serial();
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "standalone").unwrap();
    let s = &app.session;
    wait(s, "[data-test=setup-store-name]");
    wait_focus(s, "setup-store-name");
    s.keys(&format!("Refaccionaria El Pistón{TAB}Lucía Dueña{TAB}2468{TAB}2469{ENTER}")).unwrap();
    // The PINs differ: nothing is set up and the form says why.
    std::thread::sleep(Duration::from_millis(500));
    assert!(s.try_find("[data-test=pin-pad]").is_none());
    app.screenshot("pin-mismatch").unwrap();
    let confirm = wait(s, "[data-test=setup-pin-confirm]");
    s.send_keys(&confirm, &format!("{}{}", nexus_e2e::webdriver::keys::BACKSPACE, "8")).unwrap();
    s.send_keys(&confirm, ENTER).unwrap();
    wait(s, "[data-test=pin-pad]");
    login(&app, "2468");
    wait(s, "[data-test=session-card][data-case=single_register]");
    assert!(text(s, "[data-test=status-user]").contains("Lucía"));
    app.screenshot("owner-home").unwrap();
}

#[test]
fn a_terminal_enrolled_from_the_first_run_sends_its_sale_to_headquarters() {
    use nexus_e2e::webdriver::keys::F10;
    let _one = serial();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hq = runtime.block_on(nexus_e2e::cluster::Hq::start());
    let code = runtime.block_on(hq.code());
    let driver = Driver::start().unwrap();
    let app = App::launch(&driver, "enroll").unwrap();
    let s = &app.session;
    let central = wait(s, "[data-test=setup-way-central]");
    s.send_keys(&central, ENTER).unwrap();
    wait_focus(s, "enroll-url");
    s.keys(&format!("{}{TAB}{}{TAB}Mostrador 1", hq.url(), code.to_lowercase())).unwrap();
    app.screenshot("enroll").unwrap();
    s.keys(ENTER).unwrap();
    wait(s, "[data-test=pin-pad]");
    text_until(s, "[data-test=status-sync]", |t| t.contains("En línea"));
    app.screenshot("enrolled").unwrap();

    // María's PIN came down with the snapshot; she opens Caja 1 and sells.
    login(&app, "1111");
    wait(s, "[data-test=session-card][data-case=single_register]");
    wait_focus(s, "opening-amount");
    s.keys(&format!("500{ENTER}")).unwrap();
    wait_focus(s, "product-search");
    s.keys(&format!("FRAM-PH3614{ENTER}")).unwrap();
    text_until(s, "[data-test=cart-total]", |t| cents(t) == 11_020);
    s.keys(F10).unwrap();
    wait_focus(s, "pay-cash");
    s.keys(&format!("200{ENTER}")).unwrap();
    wait(s, "[data-test=receipt]");
    s.keys(ENTER).unwrap();
    gone(s, "[data-test=receipt]");

    // The sale reaches headquarters by itself, soon after it committed.
    let device: uuid::Uuid = runtime.block_on(async {
        for _ in 0..100 {
            let found: Option<(uuid::Uuid, Option<i64>)> = sqlx::query_as(
                "SELECT d.device_id, (SELECT sum(total) * 100 FROM sales)::int8 FROM sync_devices d WHERE d.last_seq > 0",
            )
            .fetch_optional(&hq.db)
            .await
            .unwrap();
            if let Some((device, total)) = found
                && total == Some(11_020)
            {
                return device;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the sale did not reach headquarters in 20 s");
    });
    // And the status bar says so once it looks again.
    s.send_keys(&wait(s, "[data-test=status-sync-now]"), ENTER).unwrap();
    text_until(s, "[data-test=status-pending]", |t| t == "0 pendientes");
    text_until(s, "[data-test=status-sync]", |t| t.contains("En línea"));
    app.screenshot("synced").unwrap();
    let devices = runtime.block_on(nexus_central::devices::list(hq.central(), hq.tenant)).unwrap();
    assert_eq!(
        devices.iter().map(|d| (d.id, d.name.as_str())).collect::<Vec<_>>(),
        [(device, "Mostrador 1")]
    );
    drop(app);
    drop(driver);
    drop(hq);
    drop(runtime);
}
