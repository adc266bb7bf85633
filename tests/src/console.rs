//! The headquarters console under test: the real central service serving
//! in this process on a loopback port (port 0), over fresh PostgreSQL
//! databases holding the demo tenant; browsers on it (`crate::chromium`);
//! and real terminal engines enrolled through it.
//!
//! Browser steps are blocking WebDriver calls, so tests are plain `#[test]`s
//! and the service runs on a runtime of its own, reached with
//! [`Headquarters::block_on`].

use std::future::Future;
use std::sync::Arc;

use nexus_central::Central;
use nexus_central::devices::Device;
use nexus_central::testing::{Scratch, Server};
use nexus_domain::BranchId;
use uuid::Uuid;

use crate::chromium::{Browser, Chromedriver};
use crate::cluster::Store;

/// The demo tenant's headquarters owner.
pub const OWNER_EMAIL: &str = nexus_central::demo::HQ_OWNER_EMAIL;
pub const OWNER_PASSWORD: &str = nexus_central::testing::DEMO_HQ_PASSWORD;

/// Screenshots of the console go to `target/e2e-screenshots/hq/`.
pub const SCREENSHOTS: &str = "hq";

/// Central with the demo tenant, serving in this process.
pub struct Headquarters {
    // Taken and stopped on the runtime when dropped; the databases go last.
    served: Option<(Server, Scratch)>,
    pub tenant: Uuid,
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl Headquarters {
    pub fn start() -> Headquarters {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let (server, scratch, tenant) = runtime.block_on(async {
            let scratch = Scratch::new("nxc");
            scratch.create_master().await;
            let any_port = "127.0.0.1:0".parse().expect("an address");
            let server = Server::start(scratch.settings(), any_port).await;
            let demo = nexus_central::testing::demo_tenant(&server.central).await.expect("the demo tenant");
            (server, scratch, demo.tenant_id)
        });
        // 127.0.0.1, not localhost: the one address the session cookie may
        // reach without TLS.
        let url = server.url();
        Headquarters { served: Some((server, scratch)), tenant, url, runtime }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn central(&self) -> &Arc<Central> {
        &self.served.as_ref().expect("serving").0.central
    }

    /// Runs `future` on the service's runtime and waits for it.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A new browser on the console, its screenshots named after `scenario`.
    pub fn browser(&self, driver: &Chromedriver, scenario: &str) -> Browser {
        Browser::open(driver, &self.url, SCREENSHOTS, scenario)
    }

    /// The id of the tenant's branch called `name`.
    pub fn branch(&self, name: &str) -> Uuid {
        self.block_on(async {
            let (_, db) = self.central().tenant(self.tenant).await.expect("the tenant");
            sqlx::query_scalar("SELECT id FROM branches WHERE name = $1")
                .bind(name)
                .fetch_one(&db)
                .await
                .unwrap_or_else(|e| panic!("branch {name}: {e}"))
        })
    }

    /// A one-time enrollment code for a branch, made the way the JSON API
    /// makes it (for tests whose subject is not the devices page).
    pub fn code(&self, branch: Uuid) -> String {
        self.block_on(async {
            let (tenant, db) = self.central().tenant(self.tenant).await.expect("the tenant");
            let new =
                nexus_central::devices::NewEnrollmentCode { branch_id: BranchId(branch), ttl_minutes: None };
            nexus_central::devices::create_code(self.central(), &tenant, &db, None, &new)
                .await
                .expect("a code")
                .code
        })
    }

    /// A blank terminal engine enrolled with `code`, as a new till would be.
    pub fn enroll(&self, code: &str, name: &str) -> Store {
        self.block_on(Store::enroll_with_code(&self.url, code, name))
    }

    /// The tenant's devices as central has them.
    pub fn devices(&self) -> Vec<Device> {
        self.block_on(nexus_central::devices::list(self.central(), self.tenant)).expect("the devices")
    }

    /// The tenant's device `id` as central has it.
    pub fn device(&self, id: Uuid) -> Device {
        self.devices().into_iter().find(|d| d.id == id).unwrap_or_else(|| panic!("no device {id}"))
    }
}

impl Drop for Headquarters {
    fn drop(&mut self) {
        if let Some((server, scratch)) = self.served.take() {
            self.runtime.block_on(async move {
                server.kill().await;
                drop(scratch);
            });
        }
    }
}

/// Fills in and sends the login form; what page follows is the test's to check.
#[track_caller]
pub fn log_in(b: &Browser, email: &str, password: &str) {
    b.visit("/console/login");
    b.fill("#email", email);
    b.fill("#password", password);
    b.click("#login");
}

/// Logs in as the demo tenant's owner and waits for the home page.
#[track_caller]
pub fn log_in_as_owner(b: &Browser) {
    log_in(b, OWNER_EMAIL, OWNER_PASSWORD);
    b.wait_path("/console");
    b.wait_text("header .who", "Dueño");
}

/// The addresses the console's menu links to, in order.
pub fn menu(b: &Browser) -> Vec<String> {
    b.wait("header nav");
    let links =
        b.script("return [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'))");
    links
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
