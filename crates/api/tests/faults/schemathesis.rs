//! schemathesis (PyPI) against the real binary's own `/openapi.json`: generated requests for
//! every documented operation, including stateful sequences, must never get a 5xx and every
//! answer must match the documented status codes, content types, headers and schemas.
//! Skipped, saying so, when `schemathesis` is not installed (`.ci/run` installs it).
//!
//! Two of schemathesis's checks are left out, on purpose: `positive_data_acceptance` (the
//! document describes fields more loosely than validation checks them, e.g. `yearBorn` as a
//! number, so schema-valid bodies get a documented 422) and `unsupported_method` (unknown
//! methods answer 404 like unknown routes, not 405).

use std::process::Command;

use crate::support::{Database, Server, temporary_folder};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";

#[test]
fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let installed = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let folder = temporary_folder();
    let mut server = Server::start(folder.path(), &Database::Sqlite, &[]);
    let report = folder.path().join("schemathesis");
    let output = Command::new("schemathesis")
        .current_dir(folder.path())
        .env("NO_COLOR", "1")
        .args(["run", &server.url("/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {}", server.key)])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--max-examples",
            "30",
            // One worker: with two, hypothesis describes filter lambdas by `ast.parse` from
            // two threads at once, which CPython 3.11 does not survive ("AST constructor
            // recursion depth mismatch", an error of the tool, not a finding).
            "--workers",
            "1",
            // GET /changes may hold an empty page for up to 30 s (`wait`), as documented.
            "--request-timeout",
            "40",
        ])
        .arg("--report-dir")
        .arg(&report)
        .output()
        .expect("run schemathesis");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{printed}"
    );
    let summary = printed
        .lines()
        .rfind(|line| line.contains("generated") || line.contains("passed"))
        .unwrap_or_default();
    eprintln!("schemathesis: {}", summary.trim());
    assert!(server.stop().success());
}
