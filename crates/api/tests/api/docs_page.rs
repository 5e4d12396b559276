//! `/docs`: Swagger UI served from the binary (no CDN), and rendered by a real browser.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;

use crate::support::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn docs_redirects_to_the_page_which_loads_nothing_from_elsewhere() {
    let app = TestApp::sqlite();
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = client
        .get(format!("{}/docs", app.base))
        .send()
        .expect("GET /docs");
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = client
        .get(format!("{}/docs/", app.base))
        .send()
        .expect("GET /docs/");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    for tag in html
        .split('<')
        .filter(|tag| tag.starts_with("script") || tag.starts_with("link"))
    {
        assert!(
            !tag.contains("http://") && !tag.contains("https://") && !tag.contains("src=\"//"),
            "the page loads only its own files: {tag}"
        );
    }
    let initializer = client
        .get(format!("{}/docs/swagger-initializer.js", app.base))
        .send()
        .expect("initializer")
        .text()
        .expect("text");
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    let bundle = client
        .get(format!("{}/docs/swagger-ui-bundle.js", app.base))
        .send()
        .expect("bundle");
    assert_eq!(bundle.status(), StatusCode::OK, "the UI's code is embedded");
}

#[test]
fn docs_page_renders_the_api_operations_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)");
        return;
    }
    let app = TestApp::sqlite();
    let profile = tempfile::tempdir().expect("profile folder");
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            // Time for the page's scripts to fetch /openapi.json and draw it.
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("{}/docs/", app.base))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "opblock",
        "/customers/{code}",
        "/suppressions/{code}",
        "/metrics",
        "Create or update customers",
        "clientela",
    ] {
        assert!(
            dom.contains(expected),
            "the rendered page shows `{expected}`; it was:\n{}",
            dom.chars().take(3000).collect::<String>()
        );
    }
}
