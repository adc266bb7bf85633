//! The OpenAPI document is the contract: a client generated from it must
//! speak the wire. These tests walk the document and fail when the two drift
//! — an enum named differently, a status the route answers that the document
//! does not list, a limit the API enforces that the document does not state.

use std::collections::{BTreeMap, BTreeSet};

use nexus_central::hq::HqRole;
use nexus_domain::{Permission, Role};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Tenant, TestApp};

async fn document(app: &TestApp) -> Value {
    app.request(Method::GET, "/v1/openapi.json", None, None).await.json().await.unwrap()
}

fn wire_names<T: Serialize>(values: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    values.into_iter().map(|v| serde_json::to_value(v).unwrap().as_str().unwrap().to_owned()).collect()
}

/// Every enum of the document, wherever it is, with where it was found.
fn enums<'a>(at: &str, value: &'a Value, found: &mut Vec<(String, &'a Vec<Value>)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                found.push((at.to_owned(), values));
            }
            for (key, child) in map {
                enums(&format!("{at}/{key}"), child, found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                enums(&format!("{at}/{i}"), child, found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_enum_in_the_document_is_spelled_as_the_wire_spells_it() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    // The enums the API speaks, by their serde names.
    let known: BTreeMap<&str, BTreeSet<String>> = BTreeMap::from([
        ("Permission", wire_names(Permission::ALL.iter())),
        ("Role", wire_names(Role::ALL)),
        ("HqRole", wire_names(HqRole::ALL)),
    ]);
    assert!(known["Permission"].contains("pos.sell") && known["Permission"].contains("CASH.SESSION.OPEN"));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, wire) in &known {
        let documented: BTreeSet<String> = schemas[*name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is documented as an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(&documented, wire, "{name}");
    }
    let mut found = Vec::new();
    enums("#", &doc, &mut found);
    for (at, values) in found {
        let values: BTreeSet<String> =
            values.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect();
        assert!(
            known.values().any(|wire| *wire == values),
            "{at} documents an enum the test does not know; add its serde names here: {values:?}"
        );
    }
}

/// The tokens and ids a walk needs.
struct Context {
    tenant: Tenant,
    hq: String,
    counter: String,
    device: String,
}

impl Context {
    async fn new(app: &TestApp) -> Context {
        let tenant = app.provision("Tienda").await;
        let hq = app.hq(&tenant).await;
        let device = app.device(&tenant, &hq).await;
        let counter = app.token(&device, &tenant.owner_pin).await;
        Context { tenant, hq, counter, device }
    }

    fn tokens(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("none", None),
            ("garbage", Some("garbage")),
            ("counter", Some(&self.counter)),
            ("device", Some(&self.device)),
            ("hq", Some(&self.hq)),
            ("admin", Some(ADMIN_TOKEN)),
        ]
    }

    /// The path with its parameters filled: an unknown id, a real one, or
    /// one that does not parse.
    fn paths(&self, template: &str) -> Vec<String> {
        if !template.contains('{') {
            return vec![template.to_owned()];
        }
        let real = if template.starts_with("/v1/branches") {
            self.tenant.branch_id.to_string()
        } else {
            self.tenant.owner_id.to_string()
        };
        [uuid::Uuid::now_v7().to_string(), real, "no-es-un-id".to_owned()]
            .into_iter()
            .map(|id| template.replace("{id}", &id))
            .collect()
    }
}

/// Bodies a careless or hostile client sends.
fn bad_bodies(schema: &Value) -> Vec<(&'static str, Option<&'static str>, String)> {
    let mut bodies = vec![
        ("no body", None, String::new()),
        ("not JSON", Some("application/json"), "{no es json".to_owned()),
        ("not declared JSON", Some("text/plain"), "{}".to_owned()),
        ("empty object", Some("application/json"), "{}".to_owned()),
        ("an array", Some("application/json"), "[]".to_owned()),
        ("unknown field", Some("application/json"), json!({ "tenant_id": uuid::Uuid::now_v7() }).to_string()),
        ("too large", Some("application/json"), json!({ "name": "x".repeat(300 * 1024) }).to_string()),
    ];
    if let Some(props) = schema["properties"].as_object() {
        let mut wrong_types = serde_json::Map::new();
        let mut controls = serde_json::Map::new();
        let mut long = serde_json::Map::new();
        for (name, _) in props {
            wrong_types.insert(name.clone(), json!(12345));
            controls.insert(name.clone(), json!("a\u{7}b"));
            long.insert(name.clone(), json!("x".repeat(400)));
        }
        bodies.push(("wrong types", Some("application/json"), Value::Object(wrong_types).to_string()));
        bodies.push(("control characters", Some("application/json"), Value::Object(controls).to_string()));
        bodies.push(("long strings", Some("application/json"), Value::Object(long).to_string()));
    }
    bodies
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

#[tokio::test]
async fn every_status_a_route_answers_a_bad_request_with_is_documented() {
    // A small body limit, so "too large" is cheap to send.
    let app = TestApp::spawn_with(|s| nexus_central::Settings { max_body_bytes: 64 * 1024, ..s }).await;
    let ctx = Context::new(&app).await;
    let doc = document(&app).await;
    let mut undocumented = Vec::new();
    let mut seen = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let documented: BTreeSet<&str> =
                op["responses"].as_object().unwrap().keys().map(String::as_str).collect();
            let method: Method = method.to_uppercase().parse().unwrap();
            let schema = resolve(&doc, &op["requestBody"]["content"]["application/json"]["schema"]);
            let bodies = if op.get("requestBody").is_some() {
                bad_bodies(schema)
            } else {
                vec![("no body", None, String::new())]
            };
            let queries: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| format!("?{}=no-es-valido", p["name"].as_str().unwrap()))
                .chain([String::new()])
                .collect();
            for path in ctx.paths(template) {
                for query in &queries {
                    for (who, token) in ctx.tokens() {
                        for (what, content_type, body) in &bodies {
                            // Logging out would end the session the walk goes on with.
                            if path.ends_with("/logout") && who != "garbage" && who != "none" {
                                continue;
                            }
                            let mut req =
                                app.client.request(method.clone(), app.url(&format!("{path}{query}")));
                            if let Some(token) = token {
                                req = req.bearer_auth(token);
                            }
                            if let Some(ct) = content_type {
                                req = req.header("content-type", *ct).body(body.clone());
                            }
                            let res = req.send().await.unwrap();
                            let status = res.status();
                            seen += 1;
                            if !documented.contains(status.as_str()) {
                                undocumented
                                    .push(format!("{method} {path}{query} as {who} with {what}: {status}"));
                            }
                            if status.is_client_error() || status.is_server_error() {
                                let body: Value = res.json().await.unwrap_or(Value::Null);
                                assert!(
                                    body["code"].is_string() && body["message"].is_string(),
                                    "{method} {path} as {who} with {what}: {status} {body}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 500, "the walk reached every route ({seen} requests)");
    assert!(undocumented.is_empty(), "statuses the document does not list:\n{}", undocumented.join("\n"));
}

#[tokio::test]
async fn the_limits_the_api_enforces_are_in_the_document_and_hold_at_their_edges() {
    let app = TestApp::spawn().await;
    let ctx = Context::new(&app).await;
    let doc = document(&app).await;
    let caja: Value = app
        .post(
            "/v1/registers",
            &ctx.hq,
            json!({ "name": "Caja 1", "register_number": 1, "branch_id": ctx.tenant.branch_id }),
        )
        .await
        .json()
        .await
        .unwrap();
    // A request each route accepts, to vary one field of at a time.
    let routes: Vec<(Method, String, Option<&str>, Value)> = vec![
        (
            Method::POST,
            "/v1/registers".into(),
            Some(ctx.hq.as_str()),
            json!({ "name": "Caja", "register_number": 5, "branch_id": ctx.tenant.branch_id }),
        ),
        (
            Method::PATCH,
            format!("/v1/registers/{}", caja["id"].as_str().unwrap()),
            Some(ctx.hq.as_str()),
            json!({ "name": "Caja 1" }),
        ),
        (
            Method::POST,
            "/v1/register-assignments".into(),
            Some(ctx.hq.as_str()),
            json!({ "cash_register_id": caja["id"], "user_id": ctx.tenant.owner_id, "note": "Turno" }),
        ),
        (Method::POST, "/v1/branches".into(), Some(ctx.hq.as_str()), json!({ "name": "Norte" })),
        (
            Method::PATCH,
            format!("/v1/branches/{}", ctx.tenant.branch_id),
            Some(ctx.hq.as_str()),
            json!({ "name": "Principal" }),
        ),
        (
            Method::POST,
            "/v1/employees".into(),
            Some(ctx.hq.as_str()),
            json!({ "name": "Caja", "role": "cashier" }),
        ),
        (
            Method::PATCH,
            format!("/v1/employees/{}", ctx.tenant.owner_id),
            Some(ctx.hq.as_str()),
            json!({ "name": "Dueña" }),
        ),
        (
            Method::POST,
            "/v1/devices/enrollment-codes".into(),
            Some(ctx.hq.as_str()),
            json!({ "branch_id": ctx.tenant.branch_id, "ttl_minutes": 60 }),
        ),
        (
            Method::POST,
            "/v1/tenants".into(),
            Some(ADMIN_TOKEN),
            json!({ "name": "Otra", "owner_name": "Eva", "owner_email": "eva@otra.mx" }),
        ),
    ];
    let mut checked = 0;
    for (method, path, token, base) in routes {
        let template = path
            .split('/')
            .map(|s| if s.parse::<uuid::Uuid>().is_ok() { "{id}" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let op = &doc["paths"][&template][method.as_str().to_lowercase()];
        let schema = resolve(&doc, &op["requestBody"]["content"]["application/json"]["schema"]);
        let props =
            schema["properties"].as_object().unwrap_or_else(|| panic!("{method} {template}: no properties"));
        for (field, prop) in props {
            let prop = resolve(&doc, prop);
            let mut cases: Vec<(Value, bool)> = Vec::new();
            if let Some(max) = prop["maxLength"].as_u64() {
                let max = max as usize;
                let fits = match field.as_str() {
                    f if f.contains("email") => format!("{}@otra.mx", "e".repeat(max - 8)),
                    "phone" => "5".repeat(max),
                    _ => "x".repeat(max),
                };
                cases.push((json!(fits), true));
                cases.push((json!("x".repeat(max + 1)), false));
            }
            if prop["pattern"].as_str().is_some_and(|p| p.contains("u0000")) {
                cases.push((json!("a\u{7}b"), false));
            }
            if let Some(max) = prop["maximum"].as_i64() {
                cases.push((json!(max), true));
                cases.push((json!(max + 1), false));
            }
            if let Some(min) = prop["minimum"].as_i64() {
                cases.push((json!(min), true));
                cases.push((json!(min - 1), false));
            }
            // A limit the API enforces and the document does not state.
            if prop["type"] == "string"
                || prop["type"].as_array().is_some_and(|t| t.contains(&json!("string")))
            {
                let mut probes = Vec::new();
                if prop["maxLength"].is_null() {
                    probes.push((json!("x".repeat(2000)), "field_too_long", "maxLength"));
                }
                if !prop["pattern"].as_str().is_some_and(|p| p.contains("u0000")) {
                    probes.push((json!("a\u{7}b"), "control", "a pattern without control characters"));
                }
                for (value, refusal, missing) in probes {
                    let mut body = base.clone();
                    body[field.as_str()] = value;
                    let text =
                        app.request(method.clone(), &path, token, Some(body)).await.text().await.unwrap();
                    assert!(
                        !text.contains(refusal),
                        "{method} {template}: the API enforces a limit on {field} the document lacks ({missing}): {text}"
                    );
                    checked += 1;
                }
            }
            for (value, valid) in cases {
                let mut body = base.clone();
                body[field.as_str()] = value.clone();
                let res = app.request(method.clone(), &path, token, Some(body)).await;
                let status = res.status();
                let text = res.text().await.unwrap();
                if valid {
                    assert!(
                        status != StatusCode::UNPROCESSABLE_ENTITY,
                        "{method} {template}: {field} = {value} fits the document but was refused: {text}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{method} {template}: {field} = {value} breaks the document but was taken: {text}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} edges were checked");
}
