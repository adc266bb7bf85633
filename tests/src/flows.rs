//! Flows through the desktop app that tests and benchmarks share, driven
//! with the keyboard only.

use std::time::Duration;

use crate::desktop::App;
use crate::webdriver::keys::{ARROW_DOWN, ENTER, F4, F8, F10, TAB};
use crate::webdriver::{Element, Session};

pub const WAIT: Duration = Duration::from_secs(20);

pub fn wait(s: &Session, css: &str) -> Element {
    s.wait_for(css, WAIT).unwrap_or_else(|e| panic!("{e}"))
}

pub fn text(s: &Session, css: &str) -> String {
    s.text(&wait(s, css)).unwrap()
}

/// Waits until the element's text satisfies `check`; returns it.
pub fn text_until(s: &Session, css: &str, check: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    s.wait_until(&format!("{css} to read right (last: {last:?})"), WAIT, || {
        last = s.try_find(css).and_then(|e| s.text(&e).ok()).unwrap_or_default();
        check(&last)
    })
    .unwrap_or_else(|e| panic!("{e}; last text {last:?}"));
    last
}

pub fn count(s: &Session, css: &str, n: usize) {
    s.wait_until(&format!("{n} × {css}"), WAIT, || s.find_all(css).len() == n)
        .unwrap_or_else(|e| panic!("{e}"));
}

pub fn gone(s: &Session, css: &str) {
    s.wait_until(&format!("{css} to close"), WAIT, || s.try_find(css).is_none())
        .unwrap_or_else(|e| panic!("{e}"));
}

pub fn focused_is(s: &Session, test_id: &str) -> bool {
    s.active().ok().and_then(|e| s.attribute(&e, "data-test").ok().flatten()).as_deref() == Some(test_id)
}

pub fn wait_focus(s: &Session, test_id: &str) {
    s.wait_until(&format!("focus on {test_id}"), WAIT, || focused_is(s, test_id))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The digits of a money text, as cents: "-$1,004.50" → -100450.
pub fn cents(text: &str) -> i64 {
    let negative = text.contains('-') || text.contains('−');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let value: i64 = digits.parse().unwrap_or_else(|_| panic!("no amount in {text:?}"));
    if negative { -value } else { value }
}

/// Sets the app up as the demo store from the first-run screen and waits for the PIN pad.
pub fn demo_store(app: &App) {
    let s = &app.session;
    wait(s, "[data-test=setup-store-name]");
    app.screenshot("first-run").unwrap();
    let demo = wait(s, "[data-test=setup-demo]");
    s.send_keys(&demo, ENTER).unwrap();
    wait(s, "[data-test=pin-pad]");
}

pub fn login(app: &App, pin: &str) {
    let s = &app.session;
    wait_focus(s, "pin-pad");
    s.keys(pin).unwrap();
    gone(s, "[data-test=pin-pad]");
}

/// A whole shift on the demo store: first run, María's PIN, open Caja 1
/// with 500, sell an oil filter and a spark plug paid with 1,000, take 100
/// out, close counting 570 (4.00 short), and stop on the Z report.
pub fn shift(app: &App) {
    let s = &app.session;
    demo_store(app);
    app.screenshot("pin-pad").unwrap();
    login(app, "1111");

    wait(s, "[data-test=session-card][data-case=single_register]");
    assert!(text(s, "[data-test=status-user]").contains("María"));
    app.screenshot("home").unwrap();
    wait_focus(s, "opening-amount");
    s.keys(&format!("500{ENTER}")).unwrap();

    wait(s, "[data-test=sale-screen]");
    wait_focus(s, "product-search");
    assert!(text(s, "[data-test=status-session]").contains("Caja 1"));
    // Two products: an oil filter (95.00) by part number and a spark plug (55.00) by barcode.
    s.keys(&format!("FRAM-PH3614{ENTER}")).unwrap();
    count(s, "[data-test=cart-line]", 1);
    s.keys(&format!("7501000000031{ENTER}")).unwrap();
    count(s, "[data-test=cart-line]", 2);
    // (95.00 + 55.00) + 16 % IVA = 174.00
    text_until(s, "[data-test=cart-total]", |t| cents(t) == 17_400);
    app.screenshot("cart").unwrap();

    s.keys(F10).unwrap();
    wait(s, "[data-test=pay-dialog]");
    wait_focus(s, "pay-cash");
    s.keys("1000").unwrap();
    text_until(s, "[data-test=pay-change]", |t| cents(t) == 82_600);
    app.screenshot("pay").unwrap();
    s.keys(ENTER).unwrap();

    wait(s, "[data-test=receipt]");
    assert_eq!(cents(&text(s, "[data-test=receipt-total]")), 17_400);
    assert_eq!(cents(&text(s, "[data-test=receipt-change]")), 82_600);
    app.screenshot("receipt").unwrap();
    s.keys(ENTER).unwrap();
    gone(s, "[data-test=receipt]");
    wait_focus(s, "product-search");

    // Cash out: 100 to the safe.
    s.keys(F4).unwrap();
    wait(s, "[data-test=movement-dialog]");
    wait_focus(s, "movement-kind");
    s.keys(ARROW_DOWN).unwrap();
    s.keys(TAB).unwrap();
    wait_focus(s, "movement-amount");
    s.keys(&format!("100{TAB}")).unwrap();
    wait_focus(s, "movement-reason");
    s.keys("Retiro a caja fuerte").unwrap();
    app.screenshot("cash-out").unwrap();
    s.keys(ENTER).unwrap();
    gone(s, "[data-test=movement-dialog]");

    // Close: expected 500 + 174 − 100 = 574; counted 500 + 50 + 20 = 570.
    s.keys(F8).unwrap();
    wait(s, "[data-test=close-dialog]");
    text_until(s, "[data-test=close-expected]", |t| cents(t) == 57_400);
    wait_focus(s, "denom-B1000");
    for (code, pieces) in
        [("B1000", "0"), ("B500", "1"), ("B200", "0"), ("B100", "0"), ("B50", "1"), ("B20", "1")]
    {
        wait_focus(s, &format!("denom-{code}"));
        s.keys(&format!("{pieces}{TAB}")).unwrap();
    }
    text_until(s, "[data-test=close-counted]", |t| cents(t) == 57_000);
    text_until(s, "[data-test=close-difference]", |t| cents(t) == -400);
    app.screenshot("close").unwrap();
    s.keys(ENTER).unwrap();

    wait(s, "[data-test=z-report]");
    assert_eq!(cents(&text(s, "[data-test=z-expected]")), 57_400);
    assert_eq!(cents(&text(s, "[data-test=z-counted]")), 57_000);
    assert_eq!(cents(&text(s, "[data-test=z-difference]")), -400);
    assert!(text(s, "[data-test=z-chain-head]").len() >= 16, "the chain head is printed");
    app.screenshot("z-report").unwrap();
}
