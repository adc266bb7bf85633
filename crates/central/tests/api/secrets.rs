//! Secrets never print: every struct central keeps a PIN, a password, a
//! token or a credential in prints `***` for it, whatever logs or panics
//! format it with `{:?}`.

use nexus_central::auth::{self, LoginRequest};
use nexus_central::devices::{self, NewEnrollmentCode};
use nexus_central::employees::{self, NewEmployee};
use nexus_central::hq::{self, HqLoginRequest};
use nexus_central::provision::{self, NewTenant};
use nexus_domain::sync::EnrollRequest;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::helpers::TestApp;

/// How a value would show if it were printed: Debug quotes strings.
fn shows(debug: &str, secret: &str) -> bool {
    debug.contains(&format!("\"{secret}\"")) || (secret.len() > 8 && debug.contains(secret))
}

#[tokio::test]
async fn no_struct_that_carries_a_secret_prints_it() {
    let app = TestApp::spawn().await;
    let central = &app.central;

    let login: LoginRequest = serde_json::from_value(json!({ "pin": "482916" })).unwrap();
    assert!(!shows(&format!("{login:?}"), "482916"), "{login:?}");
    let password = "contraseña-de-la-oficina";
    let hq_login = HqLoginRequest {
        email: "dueno@tienda.mx".into(),
        password: SecretString::from(password),
        totp: None,
    };
    assert!(!shows(&format!("{hq_login:?}"), password), "{hq_login:?}");
    let new: NewTenant = serde_json::from_value(json!({
        "name": "Tienda", "owner_name": "Dueña", "owner_email": "dueno@tienda.mx", "owner_password": password
    }))
    .unwrap();
    assert!(!shows(&format!("{new:?}"), password), "{new:?}");

    let made = provision::provision(central, &new).await.unwrap();
    let debug = format!("{made:?}");
    assert!(!shows(&debug, made.owner_pin.expose()), "{debug}");
    let generated = provision::provision(
        central,
        &NewTenant { owner_email: "otra@tienda.mx".into(), owner_password: None, ..new.clone() },
    )
    .await
    .unwrap();
    let debug = format!("{generated:?}");
    assert!(!shows(&debug, generated.owner_password.as_ref().unwrap().expose()), "{debug}");

    let session = hq::login(central, &hq_login, None).await.unwrap();
    assert!(!shows(&format!("{session:?}"), session.token.expose()), "{session:?}");
    let caller = hq::authenticate(central, session.token.expose(), None).await.unwrap();
    assert!(!shows(&format!("{caller:?}"), session.token.expose()));

    let cashier: NewEmployee = serde_json::from_value(json!({ "name": "Caja", "role": "cashier" })).unwrap();
    let created = employees::create(central, &caller, &cashier).await.unwrap();
    assert!(!shows(&format!("{created:?}"), created.pin.expose()), "{created:?}");
    let reset = employees::reset_pin(central, &caller, created.employee.id.0).await.unwrap();
    assert!(!shows(&format!("{reset:?}"), reset.pin.expose()), "{reset:?}");

    let code = devices::create_code(
        central,
        &caller.tenant,
        &caller.db,
        None,
        &NewEnrollmentCode { branch_id: made.branch_id, ttl_minutes: None },
    )
    .await
    .unwrap();
    let enrolled = devices::enroll(central, &EnrollRequest { code: code.code, device_name: "Caja 1".into() })
        .await
        .unwrap();
    let debug = format!("{enrolled:?}");
    assert!(
        !shows(&debug, enrolled.credential.expose()) && !shows(&debug, enrolled.pin_key.expose()),
        "{debug}"
    );

    let device = devices::authenticate(central, enrolled.credential.expose()).await.unwrap();
    let pin: LoginRequest = serde_json::from_value(json!({ "pin": reset.pin.expose() })).unwrap();
    let counter = auth::login(central, &device, &pin, None).await.unwrap();
    assert!(!shows(&format!("{counter:?}"), counter.token.expose()), "{counter:?}");

    let settings = format!("{:?}", central.settings);
    for secret in [
        central.settings.jwt_secret.expose_secret(),
        central.settings.pin_key_secret.expose_secret(),
        nexus_central::testing::ADMIN_TOKEN,
    ] {
        assert!(!shows(&settings, secret), "{settings}");
    }
}
