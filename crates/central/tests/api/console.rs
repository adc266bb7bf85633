//! The headquarters console as a browser uses it: the login form, the
//! session cookie, CSRF tokens on every form, pages per permission, other
//! tenants' ids, and hostile text escaped everywhere.

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode, redirect};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{OWNER_PASSWORD, Tenant, TestApp, device_id};

/// A browser without JavaScript: it keeps the console's cookies, follows no
/// redirect by itself, and reads the CSRF token out of the pages.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        Browser { client, base: app.url(""), cookies: Vec::new() }
    }

    /// A browser that already holds a session token as its cookie.
    fn with_session(app: &TestApp, token: &str) -> Browser {
        let mut b = Browser::new(app);
        b.cookies.push(("nexus_console".into(), token.into()));
        b
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn get(&mut self, path: &str) -> Response {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(res.headers());
        res
    }

    async fn post_with(&mut self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        let res = req.send().await.unwrap();
        self.keep_cookies(res.headers());
        res
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let origin = self.base.trim_end_matches('/').to_owned();
        self.post_with(path, form, Some(&origin)).await
    }

    /// A page's HTML, which must answer 200.
    async fn page(&mut self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    }

    /// The CSRF token of the forms of a page.
    async fn csrf(&mut self, path: &str) -> String {
        csrf_of(&self.page(path).await)
    }

    /// Logs in through the form; returns the answer to the post.
    async fn login(&mut self, email: &str, password: &str, next: &str) -> Response {
        let csrf = csrf_of(&self.page(&format!("/console/login?next={next}")).await);
        self.post(
            "/console/login",
            &[("csrf", &csrf), ("email", email), ("password", password), ("next", next)],
        )
        .await
    }
}

fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form with a CSRF token") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

fn location(res: &Response) -> String {
    res.headers().get(LOCATION).expect("a redirect").to_str().unwrap().to_owned()
}

async fn owner_browser(app: &TestApp, t: &Tenant) -> Browser {
    let mut b = Browser::new(app);
    let res = b.login(&t.owner_email, OWNER_PASSWORD, "/console").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    b
}

async fn devices_of(app: &TestApp, hq: &str) -> Vec<Value> {
    app.get("/v1/devices", hq).await.json::<Vec<Value>>().await.unwrap()
}

#[tokio::test]
async fn the_owner_logs_in_through_the_form_into_an_http_only_strict_session_cookie() {
    let app = TestApp::spawn().await;
    let t = app.provision("Refaccionaria <Norte> & Hijos").await;
    let mut b = Browser::new(&app);
    let login = b.get("/console/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(login.headers()["x-frame-options"], "DENY");

    let res = b.login(&t.owner_email, OWNER_PASSWORD, "/console").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console");
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("nexus_console="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Asked for at 127.0.0.1, the one place it may travel without TLS.
    assert!(!cookie.contains("Secure"), "{cookie}");

    let home = b.page("/console").await;
    // The tenant's name is escaped, never markup.
    assert!(
        home.contains("Refaccionaria &lt;Norte&gt; &amp; Hijos")
            || home.contains("Refaccionaria &#60;Norte&#62; &#38; Hijos"),
        "{home}"
    );
    assert!(!home.contains("<Norte>"));

    // The cookie is the session: the same token works as a bearer token.
    let token = b.cookies.iter().find(|(k, _)| k == "nexus_console").unwrap().1.clone();
    let me: Value = app.get("/v1/hq/me", &token).await.json().await.unwrap();
    assert_eq!(me["email"], t.owner_email);
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let b = Browser::new(&app);
    let page = b.client.get(app.url("/console/login")).header("host", "hq.example.mx").send().await.unwrap();
    let set = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set.contains("Secure"), "{set}");
    let csrf = csrf_of(&page.text().await.unwrap());
    let res = b
        .client
        .post(app.url("/console/login"))
        .header("host", "hq.example.mx")
        .header(
            "cookie",
            format!("nexus_console_login={}", set.split(';').next().unwrap().split_once('=').unwrap().1),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("csrf", csrf.as_str()),
                ("email", &t.owner_email),
                ("password", OWNER_PASSWORD),
                ("next", "/console"),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("nexus_console="))
        .unwrap()
        .to_owned();
    assert!(session.contains("Secure"), "{session}");
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_log_in_and_back_but_never_elsewhere() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut b = Browser::new(&app);
    let res = b.get("/console/devices").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/login?next=%2Fconsole%2Fdevices");
    let res = b.login(&t.owner_email, OWNER_PASSWORD, "/console/devices").await;
    assert_eq!(location(&res), "/console/devices");

    for hostile in ["https://evil.example/", "//evil.example", "/console//evil.example", "/v1/hq/me"] {
        let mut b = Browser::new(&app);
        let res = b.login(&t.owner_email, OWNER_PASSWORD, hostile).await;
        assert_eq!(location(&res), "/console", "{hostile}");
    }

    // A counter's PIN token, or a made-up one, as the cookie opens nothing.
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    let counter = app.token(&device, &t.owner_pin).await;
    for token in [counter.as_str(), "nxh.00000000-0000-0000-0000-000000000000.00", "basura"] {
        let mut b = Browser::with_session(&app, token);
        let res = b.get("/console").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{token}");
        assert!(location(&res).starts_with("/console/login"));
    }
}

#[tokio::test]
async fn a_login_form_without_its_token_or_posted_from_another_site_logs_nobody_in() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    // No token at all.
    let mut b = Browser::new(&app);
    let res = b.post("/console/login", &[("email", &t.owner_email), ("password", OWNER_PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!b.cookies.iter().any(|(k, _)| k == "nexus_console"));
    // A token from the page, but the form comes from another site.
    let mut b = Browser::new(&app);
    let csrf = b.csrf("/console/login").await;
    let res = b
        .post_with(
            "/console/login",
            &[("csrf", &csrf), ("email", &t.owner_email), ("password", OWNER_PASSWORD)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!b.cookies.iter().any(|(k, _)| k == "nexus_console"));
}

#[tokio::test]
async fn a_wrong_password_is_answered_on_the_page_and_repeated_failures_lock_the_email() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut b = Browser::new(&app);
    let res = b.login(&t.owner_email, "no-es-la-contraseña", "/console").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("Correo o contraseña incorrectos"), "{html}");
    // The email typed stays in the form; the password does not.
    assert!(html.contains(&t.owner_email) && !html.contains("no-es-la-contraseña"));
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = b.login(&t.owner_email, "no-es-la-contraseña", "/console").await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password waits.
    let res = b.login(&t.owner_email, OWNER_PASSWORD, "/console").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_revokes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = device_id(&app.device(&t, &hq).await);
    let mut b = owner_browser(&app, &t).await;
    let path = format!("/console/devices/{device}/revoke");
    // Missing, empty, another session's token, and from another site.
    let mut other = owner_browser(&app, &t).await;
    let foreign = other.csrf("/console/devices").await;
    for form in [vec![], vec![("csrf", "")], vec![("csrf", foreign.as_str())]] {
        let res = b.post(&path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("csrf_invalid"));
    }
    let csrf = b.csrf("/console/devices").await;
    let res = b.post_with(&path, &[("csrf", &csrf)], Some("https://evil.example")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(devices_of(&app, &hq).await[0]["revoked_at"].is_null());

    // With it, the device is revoked and the page shows it.
    let res = b.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!devices_of(&app, &hq).await[0]["revoked_at"].is_null());
    assert!(b.page("/console/devices").await.contains("Revocado"));
}

#[tokio::test]
async fn each_role_sees_the_pages_it_may_and_an_auditor_cannot_revoke_a_device() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let device = device_id(&app.device(&t, &hq).await);
    let revoke = format!("/console/devices/{device}/revoke");

    let mut auditor = Browser::with_session(&app, &app.hq_as(&t, "auditor").await);
    let html = auditor.page("/console/devices").await;
    assert!(html.contains("Caja de prueba"));
    assert!(!html.contains(&revoke), "no revoke button for an auditor");
    assert!(!html.contains("/console/approvals"), "only the owner approves");
    let csrf = csrf_of(&html);
    let res = auditor.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(devices_of(&app, &hq).await[0]["revoked_at"].is_null());

    let mut accountant = Browser::with_session(&app, &app.hq_as(&t, "accountant").await);
    assert_eq!(accountant.get("/console/devices").await.status(), StatusCode::FORBIDDEN);
    let csrf = accountant.csrf("/console").await;
    assert_eq!(accountant.post(&revoke, &[("csrf", &csrf)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(accountant.get("/console/approvals").await.status(), StatusCode::FORBIDDEN);

    let mut admin = Browser::with_session(&app, &app.hq_as(&t, "admin").await);
    assert_eq!(admin.get("/console/approvals").await.status(), StatusCode::FORBIDDEN);
    let csrf = admin.csrf("/console/staff").await;
    let res = admin.post("/console/staff", &[("csrf", &csrf), ("name", "Nuevo"), ("role", "cashier")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(devices_of(&app, &hq).await[0]["revoked_at"].is_null());
}

#[tokio::test]
async fn another_tenants_ids_are_not_found_from_this_tenants_console() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda A").await;
    let b_tenant = app.provision("Tienda B").await;
    let hq_b = app.hq(&b_tenant).await;
    let device_b = device_id(&app.device(&b_tenant, &hq_b).await);
    let (employee_b, _) = app.employee(&hq_b, "Cajera B", "cashier").await;

    let mut owner_a = owner_browser(&app, &a).await;
    let csrf = owner_a.csrf("/console").await;
    let res = owner_a.post(&format!("/console/devices/{device_b}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(devices_of(&app, &hq_b).await[0]["revoked_at"].is_null());
    assert_eq!(owner_a.get(&format!("/console/staff/{employee_b}")).await.status(), StatusCode::NOT_FOUND);
    let res = owner_a.post(&format!("/console/staff/{employee_b}/deactivate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = owner_a.post(&format!("/console/staff/{employee_b}/reset-pin"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(owner_a.get("/console/staff/no-es-un-id").await.status(), StatusCode::NOT_FOUND);
    let staff_a = owner_a.page("/console/staff").await;
    assert!(!staff_a.contains("Cajera B"));
}

#[tokio::test]
async fn staff_made_in_the_console_gets_a_pin_shown_once_and_hostile_names_stay_text() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut b = owner_browser(&app, &t).await;
    let csrf = b.csrf("/console/staff").await;
    let hostile = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let branch = t.branch_id.0.to_string();
    let res = b
        .post(
            "/console/staff",
            &[
                ("csrf", &csrf),
                ("name", hostile),
                ("role", "cashier"),
                ("branch_id", &branch),
                ("max_discount", "12.5"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "escaped");
    let pin_at = html.find(r#"id="pin">"#).expect("the PIN is shown") + 9;
    let pin: String = html[pin_at..].chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(pin.len(), 4, "a cashier gets 4 digits: {pin}");
    // Shown once: the list shows it no more.
    let again = b.page("/console/staff").await;
    assert!(!again.contains(r#"id="pin""#));
    assert!(again.contains("12.50 %"));

    // The PIN works at a counter.
    let hq = app.hq(&t).await;
    let device = app.device(&t, &hq).await;
    assert_eq!(app.login(&device, &pin).await.status(), StatusCode::OK);

    // Broken rules come back in Spanish on the same page and write nothing.
    let before = app.get("/v1/employees", &hq).await.json::<Vec<Value>>().await.unwrap().len();
    for (field, value, says) in [
        ("role", "owner", "dueño"),
        ("max_discount", "150", "porcentaje"),
        ("name", "   ", "name"),
        ("branch_id", "no-es-sucursal", "sucursal"),
    ] {
        let mut form = vec![("csrf", csrf.as_str()), ("name", "Otro"), ("role", "cashier")];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let res = b.post("/console/staff", &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap().to_lowercase();
        assert!(html.contains("form-error") && html.contains(says), "{field}: {html}");
    }
    let after = app.get("/v1/employees", &hq).await.json::<Vec<Value>>().await.unwrap().len();
    assert_eq!(before, after);
}

#[tokio::test]
async fn the_owner_cannot_be_edited_nor_deactivated_from_the_console() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut b = owner_browser(&app, &t).await;
    let html = b.page("/console/staff").await;
    let owner = t.owner_id.0.to_string();
    assert!(!html.contains(&format!("/console/staff/{owner}/deactivate")));
    let csrf = csrf_of(&html);
    let res = b.post(&format!("/console/staff/{owner}/deactivate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let hq = app.hq(&t).await;
    let owner_row: Value = app.get(&format!("/v1/employees/{owner}"), &hq).await.json().await.unwrap();
    assert_eq!(owner_row["is_active"], json!(true));
}

#[tokio::test]
async fn an_enrollment_code_is_shown_as_text_and_as_a_qr_code_and_enrolls_a_till() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut b = owner_browser(&app, &t).await;
    let csrf = b.csrf("/console/devices").await;
    let branch = t.branch_id.0.to_string();
    let res = b.post("/console/devices/codes", &[("csrf", &csrf), ("branch_id", &branch)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code");
    let at = html.find(r#"id="enrollment-code">"#).unwrap() + 21;
    let code: String = html[at..].chars().take(14).collect();
    let res = app
        .request(
            reqwest::Method::POST,
            "/v1/devices/enroll",
            None,
            Some(json!({ "code": code, "device_name": "Caja 3" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{code}");
    let enrolled: Value = res.json().await.unwrap();
    assert!(b.page("/console/devices").await.contains("Caja 3"));
    // What the till says of itself with a push shows on the page.
    let credential = enrolled["credential"].as_str().unwrap().to_owned();
    let report = json!({ "ops": [], "report": { "pending_ops": 7, "oldest_pending_at": null, "app_version": "9.9.9-<x>" } });
    let pushed = app.post("/v1/sync/push", &credential, report).await;
    assert_eq!(pushed.status(), StatusCode::OK, "{}", pushed.text().await.unwrap());
    let html = b.page("/console/devices").await;
    assert!(html.contains("9.9.9-&lt;x&gt;") || html.contains("9.9.9-&#60;x&#62;"), "the version, escaped");
    assert!(html.contains(r#"<td class="num">7</td>"#), "its pending ops");
    // Making the code is audited, never with the code itself.
    let mut db = app.tenant_db(&t).await;
    let made = crate::helpers::audit_rows(&mut db, "DEVICE_CODE_CREATE").await;
    assert_eq!(made.len(), 1);
    assert!(made[0].device_id.as_deref().is_some_and(|d| d.starts_with("hq:")));
    assert!(!format!("{:?}", made[0].new_value).contains(&code));
    // An unknown branch is refused on the page.
    let res = b
        .post("/console/devices/codes", &[("csrf", &csrf), ("branch_id", &Uuid::new_v4().to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn logging_out_ends_the_session_and_logging_out_everywhere_ends_them_all() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut one = owner_browser(&app, &t).await;
    let mut two = owner_browser(&app, &t).await;
    let mut three = owner_browser(&app, &t).await;
    let csrf = one.csrf("/console").await;
    let res = one.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(location(&res), "/console/login");
    assert!(!one.cookies.iter().any(|(k, _)| k == "nexus_console"), "the cookie is cleared");
    assert_eq!(two.get("/console").await.status(), StatusCode::OK);
    let csrf = two.csrf("/console").await;
    two.post("/console/logout", &[("csrf", &csrf), ("everywhere", "1")]).await;
    let res = three.get("/console").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "every session ended");
}

#[tokio::test]
async fn the_owner_invites_from_the_console_and_the_invited_person_chooses_a_password_once() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut owner = owner_browser(&app, &t).await;
    let csrf = owner.csrf("/console/people").await;
    let res = owner
        .post(
            "/console/people/invitations",
            &[("csrf", &csrf), ("email", "nueva@example.mx"), ("role", "auditor")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let at = html.find("/console/invite/").expect("the link is shown");
    let code: String = html[at + 16..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(code.len(), 64);
    assert!(!owner.page("/console/people").await.contains(&code), "shown once");

    let mut invited = Browser::new(&app);
    let path = format!("/console/invite/{code}");
    let form = invited.page(&path).await;
    assert!(form.contains("nueva@example.mx") && form.contains("Auditor"));
    let csrf = csrf_of(&form);
    // The two passwords differ: nothing is made.
    let res = invited
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Nueva"),
                ("password", "una-contraseña-larga"),
                ("password_again", "otra-contraseña-larga"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("no coinciden"));
    // Without the form's token: refused.
    let res = invited
        .post(
            &path,
            &[
                ("name", "Nueva"),
                ("password", "una-contraseña-larga"),
                ("password_again", "una-contraseña-larga"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let csrf = invited.csrf(&path).await;
    let res = invited
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "<b>Nueva</b>"),
                ("password", "una-contraseña-larga"),
                ("password_again", "una-contraseña-larga"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/console/login"));

    // Used: the link says so.
    let res = invited.get(&path).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("ya se usó"));

    let res = invited.login("nueva@example.mx", "una-contraseña-larga", "/console").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let home = invited.page("/console").await;
    assert!(!home.contains("/console/people"), "an auditor does not manage people");
    assert_eq!(invited.get("/console/people").await.status(), StatusCode::FORBIDDEN);
    let people = owner.page("/console/people").await;
    assert!(people.contains("&lt;b&gt;Nueva&lt;/b&gt;") || people.contains("&#60;b&#62;Nueva"), "escaped");

    // The owner deactivates the account: its session ends at once.
    let account: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM hq_accounts WHERE email = 'nueva@example.mx'")
            .fetch_one(&app.central.dbs.master)
            .await
            .unwrap();
    let csrf = csrf_of(&people);
    let res = owner.post(&format!("/console/people/{account}/deactivate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(invited.get("/console").await.status(), StatusCode::SEE_OTHER);
    // The owner cannot deactivate themselves.
    let me: uuid::Uuid = sqlx::query_scalar("SELECT id FROM hq_accounts WHERE email = $1")
        .bind(&t.owner_email)
        .fetch_one(&app.central.dbs.master)
        .await
        .unwrap();
    let res = owner.post(&format!("/console/people/{me}/deactivate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(owner.get("/console").await.status(), StatusCode::OK);
}

fn totp_code(secret_base32: &str, steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_owned()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    totp.generate((chrono::Utc::now().timestamp() + steps * 30) as u64)
}

#[tokio::test]
async fn two_factor_is_set_up_from_the_account_page_and_then_asked_at_the_login_form() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let mut owner = owner_browser(&app, &t).await;
    let csrf = owner.csrf("/console/account").await;
    let res = owner.post("/console/account/totp/setup", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code");
    let at = html.find(r#"id="totp-secret">"#).unwrap() + 17;
    let secret: String = html[at..].chars().take_while(char::is_ascii_alphanumeric).collect();
    let res = owner.post("/console/account/totp/enable", &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = owner
        .post("/console/account/totp/enable", &[("csrf", &csrf), ("code", &totp_code(&secret, 0))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(owner.page("/console/account").await.contains("totp-on"));
    // The owner requires it of everyone.
    let res = owner.post("/console/account/settings", &[("csrf", &csrf), ("totp_required", "1")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // At the login form: the password alone is not enough.
    let mut b = Browser::new(&app);
    let res = b.login(&t.owner_email, OWNER_PASSWORD, "/console").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("código de verificación"));
    let form = b.page("/console/login").await;
    let csrf = csrf_of(&form);
    let code = totp_code(&secret, 1);
    let res = b
        .post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("email", &t.owner_email),
                ("password", OWNER_PASSWORD),
                ("totp", &code),
                ("next", "/console"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/console").await.status(), StatusCode::OK);

    // An admin without two-factor is sent to set it up, whatever they open.
    let mut admin = Browser::with_session(&app, &app.hq_as(&t, "admin").await);
    for page in ["/console", "/console/staff", "/console/devices"] {
        let res = admin.get(page).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&res), "/console/account");
    }
    let html = admin.page("/console/account").await;
    assert!(html.contains("must-enroll"));
}

#[tokio::test]
async fn the_platform_operator_has_a_login_of_their_own_and_a_page_of_every_tenant() {
    let app = TestApp::spawn().await;
    let a = app.provision("Tienda <A>").await;
    let b_tenant = app.provision("Tienda B").await;
    let hq = app.hq(&a).await;
    app.device(&a, &hq).await;

    let mut op = Browser::new(&app);
    let res = op.get("/console/operator").await;
    assert_eq!(location(&res), "/console/operator/login");
    // A tenant's owner session opens nothing of the operator's.
    let mut owner = owner_browser(&app, &a).await;
    assert_eq!(location(&owner.get("/console/operator").await), "/console/operator/login");

    let csrf = op.csrf("/console/operator/login").await;
    let res = op.post("/console/operator/login", &[("csrf", &csrf), ("token", "no-es-el-token")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = op.post("/console/operator/login", &[("token", crate::helpers::ADMIN_TOKEN)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no form token, no login");
    let csrf = op.csrf("/console/operator/login").await;
    let res =
        op.post("/console/operator/login", &[("csrf", &csrf), ("token", crate::helpers::ADMIN_TOKEN)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("nexus_operator="))
        .unwrap();
    assert!(
        cookie.contains("Path=/console/operator")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let html = op.page("/console/operator").await;
    assert!(html.contains("Tienda &lt;A&gt;") || html.contains("Tienda &#60;A&#62;"));
    assert!(html.contains("Tienda B") && html.contains(&a.db_name) && html.contains(&b_tenant.db_name));
    assert!(!html.contains("password"), "cluster addresses carry no password");
    // The operator's session is not a tenant's.
    assert!(op.get("/console").await.status() == StatusCode::SEE_OTHER);

    let overview: Vec<Value> =
        app.get("/v1/tenants/overview", crate::helpers::ADMIN_TOKEN).await.json().await.unwrap();
    let row = overview.iter().find(|t| t["db_name"] == a.db_name).unwrap();
    assert_eq!(row["devices_active"], json!(1));
    assert_eq!(row["schema_version"], row["latest_version"]);
    assert_eq!(app.get("/v1/tenants/overview", &hq).await.status(), StatusCode::UNAUTHORIZED);

    // Logout needs the form's token; then the session is over.
    let res = op.post("/console/operator/logout", &[("csrf", "x")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let csrf = csrf_of(&html);
    let res = op.post("/console/operator/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&op.get("/console/operator").await), "/console/operator/login");
}

#[tokio::test]
async fn the_audit_page_filters_escapes_and_verifies_a_chain() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    app.employee(&hq, "<img src=x onerror=alert(1)>", "cashier").await;
    let mut b = owner_browser(&app, &t).await;
    let html = b.page("/console/audit?action=EMPLOYEE_CREATE").await;
    assert!(html.contains("EMPLOYEE_CREATE") && !html.contains("<img src=x"), "escaped");
    assert!(!html.contains("HQ_LOGIN<"), "filtered to the action");
    let res = b.get("/console/audit?from=2026-13-01").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = b.page("/console/audit/verify?chain=central").await;
    assert!(html.contains("chain-head"), "intact: its head is shown");
    assert_eq!(b.get("/console/audit/verify?chain=nadie").await.status(), StatusCode::NOT_FOUND);
    // A cashier-level HQ role without reports cannot read it: an owner-less
    // role with reports can.
    let mut auditor = Browser::with_session(&app, &app.hq_as(&t, "auditor").await);
    assert_eq!(auditor.get("/console/audit").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_alert_is_counted_on_every_page_and_acknowledged_with_a_note_only_by_who_may() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = crate::helpers::Till::enroll(&app, &t, &hq).await;
    let register = crate::alerts::register(&app, &t, &mut till, 1).await;
    crate::alerts::open(&app, &mut till, t.owner_id.0, register, app.central.clock.now()).await;

    let mut owner = owner_browser(&app, &t).await;
    assert!(!owner.page("/console").await.contains("alert-count"), "nothing yet");
    app.central.clock.advance(chrono::Duration::hours(9)).unwrap();
    for page in ["/console", "/console/staff", "/console/devices", "/console/audit"] {
        let html = owner.page(page).await;
        assert!(html.contains(r#"id="alert-count">1<"#), "{page}");
    }
    let html = owner.page("/console/alerts").await;
    assert!(html.contains("Turno abierto demasiado tiempo"));
    let at = html.find("/console/alerts/").unwrap() + 16;
    let id: String = html[at..].chars().take(36).collect();
    let ack = format!("/console/alerts/{id}/ack");

    // An auditor sees it but has no button, and a forged post is refused.
    let mut auditor = Browser::with_session(&app, &app.hq_as(&t, "auditor").await);
    let seen = auditor.page("/console/alerts").await;
    assert!(seen.contains("Turno abierto demasiado tiempo") && !seen.contains(&ack));
    let csrf = csrf_of(&seen);
    assert_eq!(auditor.post(&ack, &[("csrf", &csrf), ("note", "x")]).await.status(), StatusCode::FORBIDDEN);

    // A blank note is refused on the page; a note acknowledges it.
    let csrf = csrf_of(&html);
    let res = owner.post(&ack, &[("csrf", &csrf), ("note", "   ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = owner.post(&ack, &[("csrf", &csrf), ("note", "Hablé con la cajera <b>hoy</b>")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!owner.page("/console").await.contains("alert-count"));
    let all = owner.page("/console/alerts?all=1").await;
    assert!(all.contains("Hablé con la cajera &lt;b&gt;hoy&lt;/b&gt;") || all.contains("&#60;b&#62;hoy"));

    // Thresholds: a money amount typed as people do, and a bad one refused.
    let res = owner
        .post(
            "/console/alerts/settings",
            &[
                ("csrf", &csrf),
                ("session_open_hours", "10"),
                ("close_difference", "250.50"),
                ("device_silent_minutes", "15"),
                ("outbox_max_age_hours", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let settings: Value = app.get("/v1/alerts/settings", &hq).await.json().await.unwrap();
    assert_eq!(settings["close_difference_threshold_cents"], json!(25050));
    let res = owner
        .post(
            "/console/alerts/settings",
            &[
                ("csrf", &csrf),
                ("session_open_hours", "10"),
                ("close_difference", "1e3"),
                ("device_silent_minutes", "15"),
                ("outbox_max_age_hours", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = auditor
        .post(
            "/console/alerts/settings",
            &[
                ("csrf", &csrf_of(&seen)),
                ("session_open_hours", "1"),
                ("close_difference", "1"),
                ("device_silent_minutes", "1"),
                ("outbox_max_age_hours", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reports_show_a_table_a_chart_and_a_csv_and_sessions_open_their_z_report() {
    let day = crate::reports::day().await;
    let app = &day.app;
    let mut owner = owner_browser(app, &day.t).await;
    let path = "/console/reports?report=sales-by-day&from=2026-03-02&to=2026-03-03&branch=";
    let html = owner.page(path).await;
    assert!(html.contains(r#"id="chart""#) && html.contains("<rect"), "a chart");
    assert!(html.contains("2026-03-02") && html.contains("$116.00"), "the 2nd sold 116.00 (local day)");
    let html = owner.page("/console/reports?report=sales-by-cashier&from=2026-03-02&to=2026-03-03").await;
    assert!(!html.contains(crate::reports::HOSTILE), "a hostile name is escaped");
    assert!(html.contains("=cmd|&quot;x&quot;,y") || html.contains("=cmd|&#34;x&#34;,y"), "{html}");

    // The rotation report, and its CSV as a file a spreadsheet keeps as text.
    let html = owner.page("/console/reports?report=register-rotation&from=2026-03-01&to=2026-03-31").await;
    assert!(html.contains("Ana → Caja 1"));
    let at = html.find("/console/reports/csv?").unwrap();
    let link: String = html[at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let res = owner.get(&link).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"register-rotation_2026-03-01_2026-03-31.csv"),
        "{disposition} {link}"
    );
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("cajero_id,cajero,caja_id,caja"), "{csv}");
    assert!(csv.contains("\"'=cmd|\"\"x\"\",y\""), "{csv}");

    // A range backwards is said on the page.
    let res = owner.get("/console/reports?report=sales-by-day&from=2026-03-05&to=2026-03-01").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Sessions closed in March: both; Ana's Z report adds up.
    let html = owner.page("/console/sessions?from=2026-03-01&to=2026-03-31").await;
    assert!(html.contains(&day.ana_session.to_string()) && html.contains(&day.hostile_session.to_string()));
    let z = owner.page(&format!("/console/sessions/{}", day.ana_session)).await;
    for expected in
        ["$696.00", "$690.00", "-$6.00", "Billete de $500", "Garrafón de agua", "Tarjeta", &day.till_head]
    {
        assert!(z.contains(expected), "{expected} in the Z report");
    }
    let by_cashier =
        owner.page(&format!("/console/sessions?from=2026-03-01&to=2026-03-31&cashier={}", day.ana)).await;
    assert!(!by_cashier.contains(&day.hostile_session.to_string()));

    // Another tenant's owner: not found; an accountant reads reports, an auditor the sessions.
    let other = app.provision("Otra").await;
    let mut stranger = owner_browser(app, &other).await;
    assert_eq!(
        stranger.get(&format!("/console/sessions/{}", day.ana_session)).await.status(),
        StatusCode::NOT_FOUND
    );
    let mut accountant = Browser::with_session(app, &app.hq_as(&day.t, "accountant").await);
    assert_eq!(accountant.get(path).await.status(), StatusCode::OK);
    let mut auditor = Browser::with_session(app, &app.hq_as(&day.t, "auditor").await);
    assert_eq!(auditor.get(&format!("/console/sessions/{}", day.ana_session)).await.status(), StatusCode::OK);
}

/// The next server-sent event of a stream, as text.
async fn next_event(res: &mut reqwest::Response, buffer: &mut String) -> String {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l.starts_with("event:")) {
                return event;
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(60), res.chunk())
            .await
            .expect("an event within a minute (a guard, not a measure)")
            .unwrap()
            .expect("the stream goes on");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_board_shows_open_sessions_updates_itself_and_the_owner_asks_a_remote_close() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let mut till = crate::helpers::Till::enroll(&app, &t, &hq).await;
    let register = crate::alerts::register(&app, &t, &mut till, 1).await;
    let (cashier, _) = app.employee(&hq, "<i>Lupita</i>", "cashier").await;
    let session = crate::alerts::open(&app, &mut till, cashier, register, app.central.clock.now()).await;

    let mut owner = owner_browser(&app, &t).await;
    let html = owner.page("/console").await;
    assert!(html.contains(&session.to_string()) && html.contains(r#"data-live="/console/board/events""#));
    assert!(html.contains("&lt;i&gt;Lupita&lt;/i&gt;") || html.contains("&#60;i&#62;Lupita"), "escaped");
    assert!(html.contains("$100.00"), "the opening is the expected cash");

    // The stream answers the page's cookie and sends the board at once.
    let mut res = owner
        .client
        .get(app.url("/console/board/events"))
        .header("cookie", owner.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first = next_event(&mut res, &mut buffer).await;
    assert!(first.contains("event: update") && first.contains(&session.to_string()), "{first}");
    // A cash-in pushed by the till: the next event has the new expected cash.
    let op = till.op(
        "cash_moved",
        Some(nexus_domain::EmployeeId(cashier)),
        json!({ "movement_id": Uuid::now_v7(), "cash_session_id": session, "kind": "in", "amount_cents": 5_000,
                "reason": "Cambio", "employee_id": cashier, "created_at": app.central.clock.now() }),
    );
    let answer = till.push(&app, vec![op]).await;
    assert_eq!(answer["applied"], 1, "{answer}");
    let mut update = next_event(&mut res, &mut buffer).await;
    while !update.contains("$150.00") {
        update = next_event(&mut res, &mut buffer).await;
    }

    // Without a session, no stream; an auditor reads the board but has no close button.
    let mut stranger = Browser::new(&app);
    assert_eq!(stranger.get("/console/board/events").await.status(), StatusCode::SEE_OTHER);
    let mut auditor = Browser::with_session(&app, &app.hq_as(&t, "auditor").await);
    let seen = auditor.page("/console").await;
    assert!(seen.contains(&session.to_string()) && !seen.contains("remote-close"));
    let csrf = csrf_of(&seen);
    let close = format!("/console/sessions/{session}/remote-close");
    let res = auditor.post(&close, &[("csrf", &csrf), ("reason", "x")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The owner: a reason is required; then the request is recorded once.
    let csrf = csrf_of(&html);
    let res = owner.post(&close, &[("csrf", &csrf), ("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = owner.post(&close, &[("csrf", &csrf), ("reason", "Se fue sin cerrar")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = owner.post(&close, &[("csrf", &csrf), ("reason", "Otra vez")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "one pending request per session");
    let requests: Vec<Value> = app.get("/v1/sessions/remote-closes", &hq).await.json().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["status"], "pending");
}

#[tokio::test]
async fn registers_and_who_uses_them_are_managed_from_the_console_with_the_tills_rules() {
    let app = TestApp::spawn().await;
    let t = app.provision("Tienda").await;
    let hq = app.hq(&t).await;
    let (cashier, _) = app.employee(&hq, "Rosa", "cashier").await;
    let mut owner = owner_browser(&app, &t).await;
    let csrf = owner.csrf("/console/registers").await;
    let branch = t.branch_id.0.to_string();
    let res = owner
        .post(
            "/console/registers",
            &[
                ("csrf", &csrf),
                ("branch_id", &branch),
                ("register_number", "1"),
                ("name", "<b>Mostrador</b>"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same number in the branch: the till's rule and message, nothing written.
    let res = owner
        .post(
            "/console/registers",
            &[("csrf", &csrf), ("branch_id", &branch), ("register_number", "1"), ("name", "Otra")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for (number, name) in [("0", "X"), ("uno", "X"), ("2", "   ")] {
        let res = owner
            .post(
                "/console/registers",
                &[("csrf", &csrf), ("branch_id", &branch), ("register_number", number), ("name", name)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{number} {name}");
    }
    let registers: Vec<Value> = app.get("/v1/registers", &hq).await.json().await.unwrap();
    assert_eq!(registers.len(), 1);
    let register = registers[0]["id"].as_str().unwrap().to_owned();
    let html = owner.page("/console/registers").await;
    assert!(
        html.contains("&lt;b&gt;Mostrador&lt;/b&gt;") || html.contains("&#60;b&#62;Mostrador"),
        "escaped"
    );

    let cashier = cashier.to_string();
    let res = owner
        .post(
            "/console/registers/assignments",
            &[
                ("csrf", &csrf),
                ("cash_register_id", &register),
                ("user_id", &cashier),
                ("note", "turno matutino"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let assignments: Vec<Value> = app.get("/v1/register-assignments", &hq).await.json().await.unwrap();
    assert_eq!(assignments.len(), 1);
    assert_eq!(assignments[0]["is_active"], json!(true));
    let assignment = assignments[0]["id"].as_str().unwrap().to_owned();
    let res = owner
        .post(&format!("/console/registers/assignments/{assignment}/deactivate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let assignments: Vec<Value> = app.get("/v1/register-assignments", &hq).await.json().await.unwrap();
    assert_eq!(assignments[0]["is_active"], json!(false));

    // An auditor reads, has no forms, and a forged post changes nothing.
    let mut auditor = Browser::with_session(&app, &app.hq_as(&t, "auditor").await);
    let seen = auditor.page("/console/registers").await;
    assert!(
        seen.contains("Mostrador")
            && !seen.contains(r#"id="new-register""#)
            && !seen.contains(r#"id="assign""#)
    );
    let res = auditor
        .post(&format!("/console/registers/{register}/deactivate"), &[("csrf", &csrf_of(&seen))])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another tenant's owner: not found.
    let other = app.provision("Otra").await;
    let mut stranger = owner_browser(&app, &other).await;
    let csrf = stranger.csrf("/console/registers").await;
    let res = stranger.post(&format!("/console/registers/{register}/deactivate"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let registers: Vec<Value> = app.get("/v1/registers", &hq).await.json().await.unwrap();
    assert_eq!(registers[0]["is_active"], json!(true));
}
