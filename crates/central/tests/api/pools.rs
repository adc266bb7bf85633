//! Tenant pools under more active tenants than the cache holds.

use futures::future::join_all;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn more_busy_tenants_than_cached_pools_never_fail_a_request() {
    let app = TestApp::spawn_with(|s| nexus_central::Settings { max_tenant_pools: 1, ..s }).await;
    let a = app.provision("Tienda A").await;
    let b = app.provision("Tienda B").await;
    let tokens = [app.hq(&a).await, app.hq(&b).await];
    // Both tenants at once: each request may evict the other tenant's pool
    // while that tenant's requests are still running on it.
    for _ in 0..5 {
        let requests = (0..40).map(|i| app.get("/v1/employees?include_inactive=true", &tokens[i % 2]));
        for res in join_all(requests).await {
            let status = res.status();
            assert_eq!(status, StatusCode::OK, "{}", res.text().await.unwrap());
        }
    }
    assert!(app.central.dbs.open_tenant_pools() <= 1);
}
