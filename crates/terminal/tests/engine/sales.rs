use nexus_domain::sale::PriceTier;
use nexus_terminal::cash_session::CloseSession;
use nexus_terminal::layaways::{NewCustomer, NewLayaway, NewLayawayPayment};
use nexus_terminal::sales::{CancelSale, NewSale, NewSaleLine, PaymentInput};

use crate::helpers::{ADMIN, ALBERTO, JUAN, LUIS, MARIA, TestTerminal, assert_code};

fn line(t: &TestTerminal, code: &str, quantity: i64, discount_bp: u16) -> NewSaleLine {
    NewSaleLine { product_id: t.product(code).id, quantity, discount_bp }
}

#[test]
fn products_are_found_by_barcode_part_number_or_name() {
    let t = TestTerminal::demo();
    let terminal = t.as_(MARIA);
    let by_barcode = terminal.search_products("7501000000031", 10).unwrap();
    assert_eq!(by_barcode[0].part_number, "NGK-BKR5E11");
    let by_part = terminal.search_products("fram-ph3614", 10).unwrap();
    assert_eq!(by_part[0].name, "Filtro de aceite Fram PH3614");
    let by_name: Vec<String> =
        terminal.search_products("filtro", 10).unwrap().into_iter().map(|p| p.part_number).collect();
    assert_eq!(by_name.len(), 3, "{by_name:?}");
    assert_eq!(by_barcode[0].stock, 120);
    assert!(terminal.search_products("%", 10).unwrap().is_empty(), "wildcards are literal");
}

#[test]
fn a_sale_prices_tiers_discounts_and_iva_per_line_and_moves_stock() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    let receipt = t
        .as_(MARIA)
        .sell(&NewSale {
            cash_session_id: s.id,
            customer_id: None,
            price_tier: PriceTier::Workshop,
            lines: vec![line(&t, "FRAM-PH3614", 3, 500), line(&t, "NGK-BKR5E11", 2, 0)],
            payment: PaymentInput { cash: Some("500".into()), ..Default::default() },
        })
        .unwrap();
    // Taller prices: 88.00 and 50.00. Line 1: 264.00 − 5 % (13.20) = 250.80, IVA 40.13 → 290.93.
    // Line 2: 100.00, IVA 16.00 → 116.00.
    let l1 = &receipt.lines[0];
    assert_eq!(
        (l1.unit_price_cents, l1.discount_cents, l1.subtotal_cents, l1.tax_cents, l1.total_cents),
        (8_800, 1_320, 25_080, 4_013, 29_093)
    );
    assert_eq!(receipt.totals.subtotal.cents(), 36_400);
    assert_eq!(receipt.totals.discount_total.cents(), 1_320);
    assert_eq!(receipt.totals.tax_total.cents(), 5_613);
    assert_eq!(receipt.totals.total.cents(), 40_693);
    assert_eq!(receipt.change_cents, 50_000 - 40_693);
    assert_eq!(t.as_(MARIA).search_products("FRAM-PH3614", 1).unwrap()[0].stock, 40 - 3);
    let moves = t.count("SELECT count(*) FROM inventory_operations WHERE operation_type = 'SALE'");
    assert_eq!(moves, 2);
}

#[test]
fn discounts_need_the_permission_and_stay_within_the_employees_maximum() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    let sale = |discount| {
        t.as_(MARIA).sell(&NewSale {
            cash_session_id: s.id,
            customer_id: None,
            price_tier: PriceTier::Counter,
            lines: vec![line(&t, "FRAM-PH3614", 1, discount)],
            payment: PaymentInput { cash: Some("200".into()), ..Default::default() },
        })
    };
    let e = assert_code(sale(600), "discount_above_max");
    assert!(e.to_string().contains("5.00 %"), "{e}");
    sale(500).unwrap();
}

#[test]
fn mixed_payments_insufficient_cash_and_electronic_overpayment() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    let pay = |payment: PaymentInput| {
        t.as_(MARIA).sell(&NewSale {
            cash_session_id: s.id,
            customer_id: None,
            price_tier: PriceTier::Counter,
            lines: vec![line(&t, "MOBIL-5W30-1L", 2, 0)],
            payment,
        })
    };
    // 2 × 149 = 298 + IVA 47.68 = 345.68
    let mixed = pay(PaymentInput {
        cash: Some("200".into()),
        card: Some("100".into()),
        transfer: Some("45.68".into()),
    })
    .unwrap();
    assert_eq!((mixed.payment_method.code(), mixed.change_cents), ("mixto", 0));
    let e = assert_code(
        pay(PaymentInput { cash: Some("300".into()), ..Default::default() }),
        "insufficient_payment",
    );
    assert!(e.to_string().contains("$45.68"));
    assert_code(
        pay(PaymentInput { card: Some("400".into()), ..Default::default() }),
        "electronic_above_total",
    );
    assert_code(pay(PaymentInput::default()), "insufficient_payment");
}

#[test]
fn cancelling_a_sale_returns_its_stock_and_refunds_its_cash_from_the_drawer() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    // 449 + IVA 71.84 = 520.84 kept; 600 handed over, 79.16 change.
    let receipt = t.sell_cash(s.id, &[("GATES-K060923", 1)], "600").unwrap();
    assert_eq!(t.as_(MARIA).search_products("GATES-K060923", 1).unwrap()[0].stock, 11);
    // The admin has no open session: the refund would have no drawer to leave.
    let cancel =
        CancelSale { sale_id: receipt.sale_id, reason: "Pieza equivocada".into(), cash_session_id: None };
    assert_code(t.as_(ADMIN).cancel_sale(&cancel), "invalid_session");
    assert_code(t.as_(ALBERTO).cancel_sale(&cancel), "forbidden");
    let cancelled = t.as_(MARIA).cancel_sale(&cancel).unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(t.as_(MARIA).search_products("GATES-K060923", 1).unwrap()[0].stock, 12);
    assert_code(t.as_(MARIA).cancel_sale(&cancel), "sale_not_cancellable");
    let z = t
        .as_(MARIA)
        .close_session(&CloseSession {
            cash_session_id: s.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        })
        .unwrap();
    assert_eq!((z.sales_count, z.cancelled_count), (0, 1));
    assert_eq!(z.cash_out_cents, 52_084);
    assert_eq!((z.expected_cents, z.difference_cents), (50_000, Some(0)));
}

#[test]
fn unknown_products_and_customers_are_refused() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "500");
    let sale = |product_id, customer_id| {
        t.as_(MARIA).sell(&NewSale {
            cash_session_id: s.id,
            customer_id,
            price_tier: PriceTier::Counter,
            lines: vec![NewSaleLine { product_id, quantity: 1, discount_bp: 0 }],
            payment: PaymentInput { cash: Some("5000".into()), ..Default::default() },
        })
    };
    assert_code(sale(uuid::Uuid::now_v7(), None), "product_not_found");
    assert_code(sale(t.product("WD40-311").id, Some(uuid::Uuid::now_v7())), "customer_not_found");
}

#[test]
fn a_layaway_payment_goes_into_the_open_drawer_and_never_exceeds_the_balance() {
    let t = TestTerminal::demo();
    let s = t.open_first(MARIA, "100");
    let customer = t
        .as_(MARIA)
        .create_customer(&NewCustomer {
            name: "Taller Hernández".into(),
            phone: Some("3310000000".into()),
            rfc: None,
            price_tier: PriceTier::Workshop,
        })
        .unwrap();
    let layaway = t
        .as_(MARIA)
        .create_layaway(&NewLayaway {
            customer_id: customer.id,
            total: "2699".into(),
            expires_at: None,
            notes: Some("Acumulador".into()),
        })
        .unwrap();
    let pay = |amount: &str, method| {
        t.as_(MARIA).pay_layaway(&NewLayawayPayment {
            cash_session_id: s.id,
            layaway_id: layaway.id,
            amount: amount.into(),
            method,
        })
    };
    let after = pay("1000", nexus_domain::sale::PaymentMethod::Efectivo).unwrap();
    assert_eq!(
        (after.amount_paid_cents, after.remaining_cents, after.status.as_str()),
        (100_000, 169_900, "active")
    );
    assert_code(pay("1699.01", nexus_domain::sale::PaymentMethod::Tarjeta), "layaway_overpaid");
    let done = pay("1699", nexus_domain::sale::PaymentMethod::Tarjeta).unwrap();
    assert_eq!(done.status, "completed");
    let z = t.as_(MARIA).session_report(s.id).unwrap();
    assert_eq!(z.expected_cents, 10_000 + 100_000, "only the cash payment is in the drawer");
    assert_eq!(z.layaway_payments_cents, 269_900);
    // Someone else's session takes no layaway payment.
    let juan = t.open_first(JUAN, "100");
    assert_code(
        t.as_(MARIA).pay_layaway(&NewLayawayPayment {
            cash_session_id: juan.id,
            layaway_id: layaway.id,
            amount: "1".into(),
            method: nexus_domain::sale::PaymentMethod::Efectivo,
        }),
        "invalid_session",
    );
}

/// A card sale keeps no cash, so nothing about the drawer stops a refund:
/// only the ownership check does.
fn card_sale(t: &TestTerminal, session: uuid::Uuid) -> nexus_terminal::sales::Receipt {
    t.as_(MARIA)
        .sell(&NewSale {
            cash_session_id: session,
            customer_id: None,
            price_tier: PriceTier::Counter,
            lines: vec![line(t, "WD40-311", 1, 0)],
            // 139 + IVA 22.24
            payment: PaymentInput { card: Some("161.24".into()), ..Default::default() },
        })
        .unwrap()
}

#[test]
fn nobody_cancels_a_sale_of_someone_elses_session() {
    let t = TestTerminal::demo();
    let maria = t.open_first(MARIA, "500");
    let receipt = card_sale(&t, maria.id);
    let juan = t.open_first(JUAN, "500");
    let stock = t.product("WD40-311").stock;
    let cancel = |pin: &str, cash_session_id| {
        t.as_(pin).cancel_sale(&CancelSale {
            sale_id: receipt.sale_id,
            reason: "No era suya".into(),
            cash_session_id,
        })
    };
    // A cashier with no session, and one with their own open session,
    // naming it or Maria's or nothing.
    for (pin, session) in [(LUIS, None), (JUAN, None), (JUAN, Some(juan.id)), (JUAN, Some(maria.id))] {
        let e = assert_code(cancel(pin, session), "invalid_session");
        assert_eq!(e.to_string(), "Invalid session or not owned by user");
    }
    // Not the admin either: a supervisor cancel is not a back door.
    assert_code(cancel(ADMIN, None), "invalid_session");
    assert_eq!(
        t.count("SELECT count(*) FROM outbox WHERE kind = 'sale_cancelled'"),
        0,
        "a refused cancel writes nothing"
    );
    assert_eq!(t.product("WD40-311").stock, stock);
    assert_eq!(t.as_(MARIA).receipt(receipt.sale_id).unwrap().status, "completed");
    // The owner names a session other than the sale's: refused too.
    assert_code(cancel(MARIA, Some(juan.id)), "invalid_session");
    assert_eq!(cancel(MARIA, Some(maria.id)).unwrap().status, "cancelled");
}

#[test]
fn a_sale_of_a_closed_session_cannot_be_cancelled() {
    let t = TestTerminal::demo();
    let first = t.open_first(MARIA, "500");
    let receipt = card_sale(&t, first.id);
    t.as_(MARIA)
        .close_session(&CloseSession {
            cash_session_id: first.id,
            counted_amount: Some("500".into()),
            denominations: None,
            confirm_zero: false,
        })
        .unwrap();
    let second = t.open_first(MARIA, "500");
    for session in [None, Some(second.id), Some(first.id)] {
        let e = assert_code(
            t.as_(MARIA).cancel_sale(&CancelSale {
                sale_id: receipt.sale_id,
                reason: "Tarde".into(),
                cash_session_id: session,
            }),
            "invalid_session",
        );
        assert_eq!(e.to_string(), "Invalid session or not owned by user");
    }
    assert_eq!(t.count("SELECT count(*) FROM outbox WHERE kind = 'sale_cancelled'"), 0);
    assert_eq!(t.as_(MARIA).receipt(receipt.sale_id).unwrap().status, "completed");
}
