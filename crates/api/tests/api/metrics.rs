//! `GET /metrics`: requests by route pattern and status, customers written by result, place
//! resolutions, database pools and build info.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, on_both_backends};

fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .expect("GET /metrics");
    assert_eq!(response.status(), StatusCode::OK, "no key is needed");
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().expect("text")
}

/// The value of the sample whose line starts with `series` (name and labels as written).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn requests_are_counted_by_route_pattern_and_status_never_by_code() {
    let app = TestApp::sqlite();
    assert_eq!(app.get("/customers/secret-code-1").0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/customers/secret-code-2").0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/nowhere/secret-code-3").0, StatusCode::NOT_FOUND);
    let metrics = scrape(&app);
    assert_eq!(
        sample(
            &metrics,
            r#"clientela_http_requests_total{method="GET",route="/customers/{code}",status="404"}"#
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"clientela_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &metrics,
            r#"clientela_http_request_duration_seconds_count{method="GET",route="/customers/{code}",status="404"}"#
        ),
        Some(2.0)
    );
    assert!(
        !metrics.contains("secret-code"),
        "codes are personal data and never labels"
    );
}

on_both_backends! {
    /// Created, updated, unchanged and failed customers are counted, and so are the
    /// outcomes of resolving their places.
    fn customers_written_are_counted_by_result(app: &TestApp) {
        let batch = json!([
            {"code": "m-1", "country": "ES", "state": "Barcelona"},
            {"code": "m-2", "country": "Atlantis"},
            {"code": "m-3", "yearBorn": 1200}
        ]);
        assert_eq!(app.post(&batch).0, StatusCode::OK);
        assert_eq!(app.post(&json!({"code": "m-1", "city": "Gràcia"})).0, StatusCode::OK);
        assert_eq!(app.post(&json!({"code": "m-2", "country": "Atlantis"})).0, StatusCode::OK);
        assert_eq!(app.post(&json!({"code": "m-4", "gender": 9})).0, StatusCode::UNPROCESSABLE_ENTITY);
        let metrics = scrape(app);
        let written = |result: &str| {
            sample(&metrics, &format!("clientela_customers_written_total{{result=\"{result}\"}}"))
        };
        assert_eq!(written("created"), Some(2.0), "{metrics}");
        assert_eq!(written("updated"), Some(1.0));
        assert_eq!(written("unchanged"), Some(1.0));
        assert_eq!(written("failed"), Some(2.0));
        assert_eq!(
            sample(&metrics, r#"clientela_geo_resolutions_total{source="write",status="unresolved"}"#),
            Some(1.0)
        );
        let writes: f64 = ["resolved", "partial", "unresolved", "empty"]
            .iter()
            .filter_map(|status| {
                sample(&metrics, &format!(
                    "clientela_geo_resolutions_total{{source=\"write\",status=\"{status}\"}}"
                ))
            })
            .sum();
        assert_eq!(writes, 3.0, "one per created or updated customer");
    }
}

on_both_backends! {
    /// The pools' connections and the build's version are exported.
    fn pool_usage_and_build_info_are_exported(app: &TestApp) {
        let metrics = scrape(app);
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            sample(&metrics, &format!("clientela_build_info{{version=\"{version}\"}}")),
            Some(1.0)
        );
        // Both backends: writers have a pool of their own (on PostgreSQL so that writers
        // waiting on a lock never take the connections reads need).
        for pool in ["read", "write"] {
            let max = sample(
                &metrics,
                &format!("clientela_db_pool_max_connections{{pool=\"{pool}\"}}"),
            );
            assert!(max.is_some_and(|max| max >= 1.0), "{pool}: {metrics}");
            for state in ["idle", "in_use"] {
                assert!(
                    sample(&metrics, &format!(
                        "clientela_db_pool_connections{{pool=\"{pool}\",state=\"{state}\"}}"
                    ))
                    .is_some(),
                    "{pool} {state}"
                );
            }
        }
    }
}

#[test]
fn geo_lookups_are_counted_apart_from_writes() {
    let app = TestApp::sqlite();
    assert_eq!(
        app.get("/geo/resolve?country=ES&state=Barcelona").0,
        StatusCode::OK
    );
    assert_eq!(app.get("/geo/resolve?country=Atlantis").0, StatusCode::OK);
    let metrics = scrape(&app);
    assert_eq!(
        sample(
            &metrics,
            r#"clientela_geo_resolutions_total{source="lookup",status="resolved"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"clientela_geo_resolutions_total{source="lookup",status="unresolved"}"#
        ),
        Some(1.0)
    );
    assert!(
        !metrics.contains(r#"source="write""#),
        "nothing was written"
    );
}

on_both_backends! {
    /// SQLite commits concurrent writes together and says how many it grouped: three POSTs
    /// one after the other are three requests in one to three commits. On PostgreSQL, where
    /// each write commits on its own, the counters stay at zero.
    fn sqlite_group_commits_are_counted(app: &TestApp) {
        let before = scrape(app);
        for n in 0..3 {
            let (status, _) = app.post(&json!({ "code": format!("grouped-{n}") }));
            assert_eq!(status, StatusCode::OK);
        }
        let after = scrape(app);
        let transactions = "clientela_db_write_transactions_total";
        let commits = "clientela_db_write_commits_total";
        if app.store.kind() == "postgres" {
            assert_eq!(sample(&after, transactions).unwrap_or_default(), 0.0, "{after}");
            return;
        }
        let grew = |name| {
            sample(&after, name).unwrap_or_default() - sample(&before, name).unwrap_or_default()
        };
        assert_eq!(grew(transactions), 3.0, "one transaction per POST: {after}");
        let commits = grew(commits);
        assert!((1.0..=3.0).contains(&commits), "{commits} commits for 3 POSTs");
    }
}

on_both_backends! {
    /// A dry run writes nothing, so it counts nothing either: no customer written, refused
    /// or resolved, and on SQLite no transaction or commit.
    fn dry_runs_leave_every_write_metric_alone(app: &TestApp) {
        let write_series = |metrics: &str| -> Vec<String> {
            metrics
                .lines()
                .filter(|line| {
                    line.starts_with("clientela_customers_written_total")
                        || line.starts_with("clientela_db_write_")
                        || line.starts_with("clientela_geo_resolutions_total")
                })
                .map(str::to_owned)
                .collect()
        };
        let before = write_series(&scrape(app));
        let batch = json!([
            {"code": "dry-1", "country": "ES"},
            {"code": "dry-2", "yearBorn": 1200}
        ]);
        assert_eq!(app.post_to("/customers?dryRun=true", &batch).0, StatusCode::OK);
        let (status, _) = app.post_to("/customers?dryRun=true", &json!({"code": "dry-3", "gender": 9}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app.post_to("/customers?dryRun=true&atomic=true", &batch);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(write_series(&scrape(app)), before);
        assert_eq!(app.customer("dry-1"), None);
    }
}
