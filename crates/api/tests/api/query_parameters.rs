//! Query parameters: a route answers 400 to any parameter it does not take, naming it (and the
//! one most likely meant), so a misspelled `dryRun` can never write for real.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, send};

#[test]
fn every_route_refuses_a_parameter_it_does_not_take_and_names_it() {
    let app = TestApp::sqlite();
    let document = clientela_api::openapi_document();
    let mut checked = 0;
    for (path, item) in &document.paths.paths {
        let operations = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ];
        for (method, documented) in operations {
            if !documented {
                continue;
            }
            let concrete = path
                .replace("{code}", "some-code")
                .replace("{id}", "some-id");
            let (status, problem) =
                send(app.request(method.clone(), &format!("{concrete}?bogusParameter=1")));
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {path}: {problem}"
            );
            assert!(
                problem["detail"]
                    .as_str()
                    .is_some_and(|detail| detail.contains("`bogusParameter`")),
                "{method} {path}: {problem}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 14, "every documented operation: {checked}");
}

#[test]
fn a_misspelled_dry_run_is_refused_and_writes_nothing() {
    let app = TestApp::sqlite();
    for misspelled in ["dryrun", "dry_run", "DryRun", "dryRun2"] {
        let (status, problem) = app.post_to(
            &format!("/customers?{misspelled}=true"),
            &json!({"code": "must-not-exist"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{misspelled}: {problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(&format!("`{misspelled}`")), "{detail}");
        assert!(detail.contains("did you mean `dryRun`?"), "{detail}");
    }
    assert_eq!(app.customer("must-not-exist"), None);
}

#[test]
fn the_parameters_a_route_documents_are_taken() {
    let app = TestApp::sqlite();
    let (status, body) = app.post_to(
        "/customers?dryRun=true&atomic=false&strict=false",
        &json!({"code": "documented"}),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/customers?limit=5&q=doc&active=true");
    assert_eq!(status, StatusCode::OK, "{body}");
}
