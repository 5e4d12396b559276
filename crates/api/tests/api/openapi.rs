//! The OpenAPI document: complete (every declared route is in it, every operation in it
//! exists), OpenAPI 3.1 with the bearer scheme, and its examples are accepted by the API.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, send};

/// `(METHOD, /path)` of every route declared with actix's method macros under `src/`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            for line in text.lines().map(str::trim) {
                assert!(
                    !line.contains("web::resource(") && !line.contains(".route(\""),
                    "{}: register routes with #[get(..)]/#[post(..)]/#[delete(..)] so this \
                     test sees them: {line}",
                    path.display()
                );
                for method in ["get", "post", "put", "patch", "delete"] {
                    if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                        let route = rest.split('"').next().expect("a quoted path");
                        routes.insert((method.to_uppercase(), route.to_owned()));
                    }
                }
            }
        }
    }
    routes
}

/// `(METHOD, /path)` of every operation in the served document.
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

fn served_document(app: &TestApp) -> Value {
    let (status, document) = send(app.client.get(format!("{}/openapi.json", app.base)));
    assert_eq!(status, StatusCode::OK);
    document
}

#[test]
fn every_declared_route_is_in_the_document() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    let declared = declared_routes();
    assert!(
        declared.len() >= 10,
        "the scan found the routes: {declared:?}"
    );
    let documented = documented_operations(&document);
    let missing: Vec<_> = declared.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes the OpenAPI document does not describe: {missing:?}"
    );
}

#[test]
fn every_documented_operation_exists_on_the_server() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    for (method, path) in documented_operations(&document) {
        let concrete = path.replace("{code}", "no-such-code");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = app
            .client
            .request(method.clone(), format!("{}{concrete}", app.base))
            .bearer_auth(&app.admin_key)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .expect("request");
        let status = response.status();
        let body = response.text().unwrap_or_default();
        assert!(
            !body.contains("no route for"),
            "{method} {path} is documented but not served: {status} {body}"
        );
    }
}

#[test]
fn the_document_is_openapi_3_1_with_the_bearer_scheme_on_protected_operations() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    assert_eq!(document["openapi"], "3.1.0");
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let get_customer = &document["paths"]["/customers/{code}"]["get"];
    assert_eq!(get_customer["security"][0]["bearer"][0], "read");
    assert!(
        document["paths"]["/healthz"]["get"]["security"].is_null(),
        "health needs no key"
    );
    for status in ["200", "401", "403", "404", "503"] {
        assert!(
            !get_customer["responses"][status].is_null(),
            "GET /customers/{{code}} documents {status}"
        );
    }
    let problem = &get_customer["responses"]["404"]["content"]["application/problem+json"];
    assert_eq!(problem["schema"]["$ref"], "#/components/schemas/Problem");
    let list_parameters = |place: &str| -> Vec<String> {
        document["paths"]["/customers"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|parameter| parameter["in"] == place)
            .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        list_parameters("query"),
        [
            "limit", "after", "before", "count", "q", "active", "country"
        ]
    );
    // The commit token a read may send back to see a write (reads from a standby).
    assert_eq!(list_parameters("header"), ["X-Clientela-Commit"]);
}

#[test]
fn the_post_body_is_one_customer_or_an_array_of_up_to_100() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    let schemas = &document["components"]["schemas"];
    let body = &schemas["PostCustomersBody"];
    let choices: Vec<&str> = body["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .filter_map(|choice| choice["$ref"].as_str())
        .collect();
    assert_eq!(
        choices,
        [
            "#/components/schemas/CustomerInput",
            "#/components/schemas/CustomerBatch"
        ]
    );
    assert_eq!(schemas["CustomerBatch"]["maxItems"], 100);
    assert_eq!(schemas["CustomerBatch"]["minItems"], 1);
    assert_eq!(schemas["CustomerInput"]["additionalProperties"], false);
    let answer = &schemas["PostCustomersResponse"]["oneOf"];
    assert_eq!(answer.as_array().map(Vec::len), Some(2));
    for item_schema in ["BatchItem", "Problem", "ProblemField", "Customer"] {
        assert!(
            schemas[item_schema].is_object(),
            "{item_schema} is described"
        );
    }
    // A refused item's error is the problem document the customer would get alone.
    let item_error = &schemas["BatchItem"]["properties"]["error"]["oneOf"];
    assert!(
        item_error
            .as_array()
            .expect("error: Problem or null")
            .iter()
            .any(|choice| choice["$ref"] == "#/components/schemas/Problem"),
        "{item_error}"
    );
}

#[test]
fn the_request_schema_names_exactly_the_fields_the_api_accepts() {
    let document = clientela_api::openapi_document();
    let document = serde_json::to_value(&document).expect("serializable");
    let properties: BTreeSet<&str> =
        document["components"]["schemas"]["CustomerInput"]["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
    let known: BTreeSet<&str> = clientela_core::validate::KNOWN_FIELDS.into_iter().collect();
    assert_eq!(properties, known);
}

#[test]
fn the_documented_request_examples_are_the_seed_and_the_api_accepts_them() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    let examples = &document["paths"]["/customers"]["post"]["requestBody"]["content"]["application/json"]
        ["examples"];
    assert_eq!(examples["one"]["value"]["code"], "D314K1432");
    assert_eq!(examples["one"]["value"]["city"], "Q11355");
    assert_eq!(examples["batch"]["value"][1]["code"], "N4213S4123");
    for name in ["one", "batch"] {
        let (status, body) = app.post(&examples[name]["value"]);
        assert_eq!(status, StatusCode::OK, "example {name}: {body}");
    }
}

/// A feed item documents `changedFields`: an optional list of names, with an example.
#[test]
fn a_feed_item_documents_the_fields_its_change_changed() {
    let app = TestApp::sqlite();
    let document = served_document(&app);
    let item = &document["components"]["schemas"]["ChangeItem"];
    let changed = &item["properties"]["changedFields"];
    assert!(changed["type"].to_string().contains("array"), "{changed}");
    assert_eq!(changed["items"]["type"], "string", "{changed}");
    assert!(changed["example"].is_array(), "{changed}");
    let required = item["required"].as_array().cloned().unwrap_or_default();
    assert!(
        !required.contains(&serde_json::json!("changedFields")),
        "absent for deletes: {item}"
    );
}
