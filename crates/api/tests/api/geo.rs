//! `GET /geo/resolve` and re-resolving stored customers.

use clientela_core::geo::{Location, LocationStatus};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::on_both_backends;

on_both_backends! {
    /// The resolver's reading of a place, with warnings for what it could not read.
    fn geo_resolve_explains_a_place(app: &TestApp) {
        let (status, body) = app.get("/geo/resolve?country=Spain&state=ES-B");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["country"]["code"], "ES");
        assert_eq!(body["state"]["name"], "Barcelona");
        assert_eq!(body["status"], "resolved");
        assert_eq!(body["warnings"], json!([]));

        let (_, body) = app.get("/geo/resolve?country=Atlantis");
        assert_eq!(body["status"], "unresolved");
        assert_eq!(body["warnings"][0]["field"], "country");
        let (_, body) = app.get("/geo/resolve");
        assert_eq!(body["status"], "empty");
    }
}

on_both_backends! {
    /// A reindex rewrites every stale location, page by page, without touching versions.
    fn reindex_rewrites_stale_locations(app: &TestApp) {
        let batch: Vec<_> = (0..25).map(|i| json!({"code": format!("G{i:02}"), "country": "ES"})).collect();
        app.post(&serde_json::Value::Array(batch));
        let moved = |customer: &clientela_core::Customer| {
            let mut location = customer.location.clone();
            location.status = LocationStatus::Partial;
            location
        };
        let mut after = None;
        let mut changed = 0;
        loop {
            let page = app.store.reindex_page(after.as_deref(), 10, &moved).expect("reindex");
            changed += page.changed;
            match page.last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        assert_eq!(changed, 25);
        let stored = app.customer("G13").expect("stored");
        assert_eq!(stored["location"]["status"], "partial");
        assert_eq!(stored["location"]["country"]["code"], "ES");
        assert_eq!(stored["version"], 1, "a location rewrite is not a new version");

        let same = |customer: &clientela_core::Customer| -> Location { customer.location.clone() };
        let page = app.store.reindex_page(None, 100, &same).expect("reindex");
        assert_eq!((page.seen, page.changed), (25, 0));
    }
}
