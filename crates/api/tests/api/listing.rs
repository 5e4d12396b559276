//! `GET /customers`: cursor pages in code order, and the q / active / country filters.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// Every code of every page of `query`, following `next`.
fn all_codes(app: &TestApp, query: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after
            .as_ref()
            .map(|c| format!("&after={c}"))
            .unwrap_or_default();
        let (status, page) = app.get(&format!("/customers?{query}{cursor}"));
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().expect("items") {
            codes.push(item["code"].as_str().expect("code").to_owned());
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return codes,
        }
    }
}

fn load(app: &TestApp) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for chunk in 0..3 {
        let batch: Vec<Value> = (0..100)
            .map(|index| {
                let number = chunk * 100 + index;
                let code = format!("P{:04}", (number * 7919) % 1000);
                codes.insert(code.clone());
                json!({
                    "code": code,
                    "isActive": number % 3 != 0,
                    "country": if number % 2 == 0 { "ES" } else { "France" },
                })
            })
            .collect();
        let (status, body) = app.post(&Value::Array(batch));
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    codes
}

on_both_backends! {
    /// Paging with any page size visits every customer exactly once, in code order.
    fn pages_cover_every_customer_exactly_once(app: &TestApp) {
        let expected: Vec<String> = load(app).into_iter().collect();
        for limit in [1, 7, 50, 500] {
            let codes = all_codes(app, &format!("limit={limit}"));
            assert_eq!(codes, expected, "limit={limit}");
        }
    }
}

on_both_backends! {
    /// q is a code prefix; active and country filter (country in any accepted form).
    fn filters_narrow_the_list(app: &TestApp) {
        load(app);
        app.post(&json!({"code": "Q-1", "country": "ESP"}));
        app.post(&json!({"code": "Q-2", "country": "FR", "isActive": false}));
        assert_eq!(all_codes(app, "q=Q-"), ["Q-1", "Q-2"]);
        assert_eq!(all_codes(app, "q=Q-&active=false"), ["Q-2"]);
        assert_eq!(all_codes(app, "q=Q-&country=Spain"), ["Q-1"]);
        assert_eq!(all_codes(app, "q=Q-&country=724"), ["Q-1"]);
        let spanish = all_codes(app, "country=ES&limit=13");
        assert_eq!(spanish.len(), 151, "150 P-codes plus Q-1");
        let inactive = all_codes(app, "active=false");
        assert_eq!(inactive.len(), 101, "every third P-code plus Q-2");
    }
}

on_both_backends! {
    /// Out-of-range limits, foreign cursors and unknown countries are refused clearly.
    fn bad_list_parameters_are_refused(app: &TestApp) {
        for query in ["limit=0", "limit=501", "after=%%%", "country=Atlantis"] {
            let (status, problem) = app.get(&format!("/customers?{query}"));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {problem}");
        }
        let (status, _) = app.get("/customers?limit=abc");
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

fn page_codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code").to_owned())
        .collect()
}

on_both_backends! {
    /// `before=` (empty) is the last page in one request; each page's `previous` cursor
    /// gives the one before it, so the list can be read from the end; `next` goes forward
    /// again. Pages stay in ascending code order.
    fn before_pages_backwards_from_the_end(app: &TestApp) {
        let batch: Vec<Value> = (1..=7).map(|n| json!({"code": format!("B{n}")})).collect();
        assert_eq!(app.post(&json!(batch)).0, StatusCode::OK);

        let (status, last) = app.get("/customers?limit=3&before=");
        assert_eq!(status, StatusCode::OK, "{last}");
        assert_eq!(page_codes(&last), ["B5", "B6", "B7"]);
        assert_eq!(last["next"], Value::Null, "nothing after the last page");
        let previous = last["previous"].as_str().expect("a previous cursor");

        let (_, middle) = app.get(&format!("/customers?limit=3&before={previous}"));
        assert_eq!(page_codes(&middle), ["B2", "B3", "B4"]);
        let (_, first) = app.get(&format!(
            "/customers?limit=3&before={}",
            middle["previous"].as_str().expect("previous")
        ));
        assert_eq!(page_codes(&first), ["B1"]);
        assert!(first["previous"].is_null(), "nothing before the first: {first}");

        // Forward from the middle page again.
        let (_, forward) = app.get(&format!(
            "/customers?limit=3&after={}",
            middle["next"].as_str().expect("next")
        ));
        assert_eq!(page_codes(&forward), ["B5", "B6", "B7"]);
        assert!(forward["previous"].is_string(), "{forward}");

        // A first page without a cursor has no previous.
        let (_, top) = app.get("/customers?limit=3");
        assert!(top.get("previous").is_none(), "{top}");

        let (status, problem) = app.get(&format!("/customers?before={previous}&after={previous}"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let (status, problem) = app.get("/customers?before=%%%");
        assert!(status.is_client_error(), "{problem}");
    }
}

on_both_backends! {
    /// `count=true` adds `total`: exact for a small table, with the filters applied.
    fn count_true_says_how_many_the_filters_select(app: &TestApp) {
        let batch: Vec<Value> = (1..=7)
            .map(|n| json!({"code": format!("K{n}"), "isActive": n % 2 == 0}))
            .collect();
        assert_eq!(app.post(&json!(batch)).0, StatusCode::OK);
        let (_, page) = app.get("/customers?limit=2&count=true");
        assert_eq!(page["total"], json!({"count": 7, "exact": true}), "{page}");
        let (_, page) = app.get("/customers?limit=2&count=true&active=false");
        assert_eq!(page["total"], json!({"count": 4, "exact": true}), "{page}");
        let (_, page) = app.get("/customers?limit=2&count=true&q=K7");
        assert_eq!(page["total"]["count"], 1, "{page}");
        let (_, page) = app.get("/customers?limit=2");
        assert!(page.get("total").is_none(), "only when asked: {page}");
    }
}

/// Past 10,000 customers the count is an estimate, said to be one, not a scan per request.
#[test]
fn a_large_table_gets_an_estimated_count_said_to_be_one() {
    let app = TestApp::sqlite();
    for chunk in 0..101 {
        let batch: Vec<Value> = (0..100)
            .map(|n| json!({"code": format!("L{:05}", chunk * 100 + n)}))
            .collect();
        assert_eq!(app.post(&json!(batch)).0, StatusCode::OK);
    }
    let (_, page) = app.get("/customers?limit=1&count=true");
    assert_eq!(page["total"]["exact"], false, "{page}");
    assert_eq!(
        page["total"]["count"], 10_100,
        "SQLite's largest rowid: {page}"
    );
    let (_, page) = app.get("/customers?limit=1&count=true&q=L");
    assert_eq!(
        page["total"],
        json!({"count": 10_001, "exact": false}),
        "a lower bound: {page}"
    );
}
