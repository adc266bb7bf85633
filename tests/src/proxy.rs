//! A proxy between terminals and central that misbehaves on purpose: it
//! drops requests, drops answers after central acted on the request,
//! delivers requests twice, delays them, and delivers some late — after the
//! client gave up and sent newer ones — so they arrive out of order.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// What happened to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    DropRequest,
    DropResponse,
    Duplicate,
    Delay,
    LateDelivery,
}

/// A deterministic generator (`fastrand`), so a schedule replays from its seed.
pub struct Rng(fastrand::Rng);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.u64(..)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0.u64(..n.max(1))
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Shared {
    target: Mutex<String>,
    faulty: AtomicBool,
    rng: Mutex<Rng>,
    http: reqwest::Client,
    faults: AtomicU64,
}

/// The proxy, serving on a loopback port.
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: &str, seed: u64) -> Proxy {
        let shared = Arc::new(Shared {
            target: Mutex::new(target.to_owned()),
            faulty: AtomicBool::new(false),
            rng: Mutex::new(Rng::new(seed)),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client"),
            faults: AtomicU64::new(0),
        });
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts or stops misbehaving; reseeds the faults.
    pub fn set_faulty(&self, faulty: bool, seed: u64) {
        *self.shared.rng.lock().expect("rng") = Rng::new(seed);
        self.shared.faulty.store(faulty, Ordering::SeqCst);
    }

    /// Points the proxy at another central (after a restart on a new port).
    pub fn retarget(&self, target: &str) {
        *self.shared.target.lock().expect("target") = target.to_owned();
    }

    /// How many requests were tampered with so far.
    pub fn faults(&self) -> u64 {
        self.shared.faults.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn send(shared: &Shared, method: &Method, path: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    let target = shared.target.lock().expect("target").clone();
    let mut req = shared.http.request(method.clone(), format!("{target}{path}")).body(body.clone());
    for name in ["authorization", "content-type"] {
        if let Some(v) = headers.get(name) {
            req = req.header(name, v.clone());
        }
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status();
            let bytes = r.bytes().await.unwrap_or_default();
            (status, [("content-type", "application/json")], bytes).into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let fault = if shared.faulty.load(Ordering::SeqCst) {
        let mut rng = shared.rng.lock().expect("rng");
        match rng.below(100) {
            0..=14 => Fault::DropRequest,
            15..=29 => Fault::DropResponse,
            30..=39 => Fault::Duplicate,
            40..=49 => Fault::Delay,
            50..=59 => Fault::LateDelivery,
            _ => Fault::Pass,
        }
    } else {
        Fault::Pass
    };
    if fault != Fault::Pass {
        shared.faults.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Fault::Pass => send(&shared, &parts.method, &path, &parts.headers, &body).await,
        Fault::DropRequest => StatusCode::BAD_GATEWAY.into_response(),
        Fault::DropResponse => {
            let _ = send(&shared, &parts.method, &path, &parts.headers, &body).await;
            StatusCode::BAD_GATEWAY.into_response()
        }
        Fault::Duplicate => {
            let _ = send(&shared, &parts.method, &path, &parts.headers, &body).await;
            send(&shared, &parts.method, &path, &parts.headers, &body).await
        }
        Fault::Delay => {
            let ms = shared.rng.lock().expect("rng").below(150);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            send(&shared, &parts.method, &path, &parts.headers, &body).await
        }
        Fault::LateDelivery => {
            let ms = 20 + shared.rng.lock().expect("rng").below(200);
            let late = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let _ = send(&late, &parts.method, &path, &parts.headers, &body).await;
            });
            (StatusCode::GATEWAY_TIMEOUT, Body::empty()).into_response()
        }
    }
}
