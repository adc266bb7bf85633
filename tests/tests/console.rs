//! The headquarters console in a real headless Chromium, driven over
//! WebDriver: central serving in this process over fresh databases with
//! the demo tenant, and real terminal engines enrolled through it.
//!
//! Each test starts its own central, `chromedriver` and browsers (one
//! profile each, so no cookie is shared). Every page a test passes through
//! is saved under `target/e2e-screenshots/hq/<scenario>-<n>-<name>.png`.
//! A new scenario needs only [`Headquarters::start`], [`Chromedriver::start`],
//! [`Headquarters::browser`] and the helpers of `nexus_e2e::console`.

use nexus_e2e::chromium::Chromedriver;
use nexus_e2e::console::{Headquarters, OWNER_EMAIL, OWNER_PASSWORD, log_in, log_in_as_owner, menu};
use serde_json::json;

/// The screenshot name of a console address: `/console/staff` → `staff`.
fn page_name(path: &str) -> String {
    let name = path.trim_start_matches("/console").trim_matches('/').replace('/', "-");
    if name.is_empty() { "home".into() } else { name }
}

#[test]
fn the_owner_logs_in_with_email_and_password_after_a_wrong_one_is_refused_in_spanish() {
    let hq = Headquarters::start();
    let driver = Chromedriver::start().unwrap();
    let b = hq.browser(&driver, "login");

    // A page asked for without a session sends the browser to log in first.
    b.visit("/console/devices");
    b.wait("#login-form");
    assert_eq!(b.path(), "/console/login?next=%2Fconsole%2Fdevices");
    b.screenshot("login");

    b.fill("#email", OWNER_EMAIL);
    b.fill("#password", "no-es-la-contraseña");
    b.click("#login");
    b.wait_text("#login-error", "Correo o contraseña incorrectos");
    assert!(!b.has("header nav"), "nobody is logged in");
    assert_eq!(b.property("#email", "value"), OWNER_EMAIL, "the email typed stays");
    assert_eq!(b.property("#password", "value"), "", "the password does not");
    b.screenshot("wrong-password");

    b.fill("#password", OWNER_PASSWORD);
    b.click("#login");
    // Back to the page first asked for, as the owner.
    b.wait_path("/console/devices");
    b.wait_text("header .who", "Dueño");
    b.wait_text("header .brand", "Refaccionaria Demo");
    // The session cookie is out of reach of the page's scripts.
    assert_eq!(b.script("return document.cookie.includes('nexus_console=')"), json!(false));
    b.screenshot("devices");
}

#[test]
fn every_page_in_the_owners_menu_opens_and_marks_itself_as_the_current_one() {
    let hq = Headquarters::start();
    let driver = Chromedriver::start().unwrap();
    let b = hq.browser(&driver, "menu");
    log_in_as_owner(&b);
    let links = menu(&b);
    for page in ["/console", "/console/staff", "/console/devices", "/console/people", "/console/approvals"] {
        assert!(links.iter().any(|l| l == page), "the owner's menu links to {page}: {links:?}");
    }
    for link in &links {
        b.click(&format!("header nav a[href='{link}']"));
        b.wait_path(link);
        b.wait(&format!("header nav a[href='{link}'][aria-current=page]"));
        b.wait("main h1");
        b.screenshot(&page_name(link));
    }
}

#[test]
fn an_employee_made_on_the_staff_page_gets_a_pin_shown_once_that_opens_an_enrolled_till() {
    let hq = Headquarters::start();
    let driver = Chromedriver::start().unwrap();
    let b = hq.browser(&driver, "staff");
    log_in_as_owner(&b);
    b.visit("/console/staff");
    b.wait("#new-employee");
    assert!(!b.has("#pin"));
    b.screenshot("staff");

    b.fill("#new-employee [name=name]", "Rosa Castillo");
    b.choose("#new-employee [name=role]", "Cajero");
    b.fill("#new-employee [name=max_discount]", "5");
    b.click("#new-employee button[type=submit]");
    b.wait_text("#shown-pin h2", "Rosa Castillo");
    let pin = b.text("#pin");
    assert!(pin.len() == 4 && pin.chars().all(|c| c.is_ascii_digit()), "a cashier's PIN: {pin:?}");
    b.screenshot("pin-shown");

    // Shown once: the list has her, the page has no PIN any more.
    b.visit("/console/staff");
    b.wait_text("#employees", "Rosa Castillo");
    assert!(!b.has("#pin") && !b.body_text().contains(&pin), "the PIN is not shown again");
    b.screenshot("staff-after");

    // The PIN reached a till with its next sync, and opens it.
    let store = hq.enroll(&hq.code(hq.branch("Principal")), "Mostrador 1");
    hq.block_on(store.client.round()).expect("the till syncs");
    let rosa = store.terminal.login(&pin).expect("the PIN shown in the console logs in at the till");
    assert_eq!(rosa.name, "Rosa Castillo");
}

#[test]
fn a_till_enrolled_with_the_code_from_the_devices_page_is_listed_and_once_revoked_its_sync_is_refused() {
    let hq = Headquarters::start();
    let driver = Chromedriver::start().unwrap();
    let b = hq.browser(&driver, "devices");
    log_in_as_owner(&b);
    b.visit("/console/devices");
    b.wait("#devices");
    b.screenshot("devices");

    // A code for the second branch, as text and as a QR code.
    let norte = b.choose("#code-branch", "Sucursal Norte");
    assert_eq!(norte, hq.branch("Sucursal Norte").to_string());
    b.click("#new-code-button");
    b.wait_text("#new-code h2", "Sucursal Norte");
    b.wait("#new-code .qr svg");
    let code = b.text("#enrollment-code");
    b.screenshot("enrollment-code");

    // A real till enrolls with the code read off the page, and syncs.
    let store = hq.enroll(code.trim(), "Mostrador Norte");
    let device = store.terminal.device().unwrap().device_id;
    hq.block_on(store.client.round()).expect("the enrolled till syncs");
    assert_eq!(hq.device(device).branch_id.to_string(), norte, "enrolled in the branch chosen");

    b.visit("/console/devices");
    let row = format!("#devices tr[data-device='{device}']");
    let shown = b.wait_text(&row, "Mostrador Norte");
    assert!(shown.contains("Sucursal Norte") && shown.contains("Activo"), "{shown}");
    b.screenshot("enrolled");

    // Revoking asks first; Cancel leaves the till alone.
    b.script("window.stillHere = true; return null");
    b.click(&format!("{row} form.confirm button"));
    let asked = b.dialog();
    assert!(asked.contains("¿Revocar Mostrador Norte?"), "{asked}");
    b.dismiss_dialog();
    assert_eq!(b.script("return window.stillHere === true"), json!(true), "the form was not sent");
    assert!(hq.device(device).revoked_at.is_none());
    assert!(b.text(&row).contains("Activo"));

    // OK revokes it.
    b.click(&format!("{row} form.confirm button"));
    b.dialog();
    b.accept_dialog();
    b.wait_text(&row, "Revocado");
    assert!(!b.has(&format!("{row} form")), "nothing left to revoke");
    b.screenshot("revoked");
    assert!(hq.device(device).revoked_at.is_some());

    // The till's next sync is refused for good; its data stays.
    let refused = hq.block_on(store.client.round()).expect_err("a revoked till is refused");
    assert!(refused.is_permanent(), "{refused}");
    let status = store.terminal.status().unwrap();
    assert!(status.sync.last_error.as_deref().unwrap_or_default().contains("revocado"), "{status:?}");
}

#[test]
fn someone_invited_from_the_people_page_accepts_in_their_own_browser_and_as_an_auditor_cannot_revoke() {
    let hq = Headquarters::start();
    let driver = Chromedriver::start().unwrap();
    let store = hq.enroll(&hq.code(hq.branch("Principal")), "Mostrador 1");
    let device = store.terminal.device().unwrap().device_id;
    let row = format!("#devices tr[data-device='{device}']");

    let owner = hq.browser(&driver, "invite-owner");
    log_in_as_owner(&owner);
    owner.visit("/console/people");
    owner.wait("#invite");
    owner.screenshot("people");
    let email = "auditora@despacho.example.mx";
    owner.fill("#invite [name=email]", email);
    owner.choose("#invite [name=role]", "Auditor");
    owner.click("#invite button[type=submit]");
    owner.wait_text("#new-invitation h2", email);
    let link = owner.text("#invitation-link").trim().to_owned();
    assert!(link.starts_with(&format!("{}/console/invite/", hq.url())), "{link}");
    owner.screenshot("invitation");

    // The invited person opens the link in a browser of their own.
    let guest = hq.browser(&driver, "invite-guest");
    guest.visit(&link);
    guest.wait_text("#invited-email", email);
    guest.screenshot("accept");
    let password = "auditoría-de-diciembre";
    guest.fill("#name", "Ana Auditora");
    guest.fill("#password", password);
    guest.fill("#password-again", "otra-contraseña-distinta");
    guest.click("#accept");
    guest.wait_text("#form-error", "Las dos contraseñas no coinciden");
    guest.screenshot("passwords-differ");
    guest.fill("#password", password);
    guest.fill("#password-again", password);
    guest.click("#accept");
    guest.wait("#login-form");
    guest.screenshot("login");

    log_in(&guest, email, password);
    guest.wait_path("/console");
    guest.wait_text("header .who", "Ana Auditora · Auditor");
    let links = menu(&guest);
    assert!(
        !links.iter().any(|l| l == "/console/people" || l == "/console/approvals"),
        "an auditor manages no people and approves nothing: {links:?}"
    );
    guest.screenshot("home");

    // The auditor sees the till but no way to revoke it, nor to add one.
    guest.visit("/console/devices");
    guest.wait_text(&row, "Mostrador 1");
    assert!(!guest.has(&format!("{row} form")) && !guest.has("#new-code-button"));
    guest.screenshot("devices");
    assert!(hq.device(device).revoked_at.is_none());

    // The owner sees the new account; the link served once.
    owner.visit("/console/people");
    owner.wait_text("#accounts", email);
    owner.screenshot("people-after");
    let later = hq.browser(&driver, "invite-again");
    later.visit(&link);
    later.wait("main .error[role=alert]");
    assert!(!later.has("#accept-form"), "a used invitation opens no form: {}", later.body_text());
    later.screenshot("used-link");
}
