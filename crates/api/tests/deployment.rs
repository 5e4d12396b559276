//! `docker/compose.yaml` and `docker/Dockerfile` checked without a Docker engine: the compose
//! file parses as YAML and wires the API to PostgreSQL with healthchecks; the Dockerfile has
//! its stages, a non-root user and a healthcheck the image can run; `.dockerignore` keeps
//! build output, local data and the admin key out of the build context; docs/operations.md's
//! way to get the admin key works in a distroless image.
//!
//! No image is built here: its base images come from container registries the test machines
//! cannot reach, so a daemonless builder (buildah, podman) could not start either.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

use std::path::PathBuf;

use serde_json::Value;

fn repository_file(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).expect(path)
}

fn compose() -> Value {
    yaml_serde::from_str(&repository_file("docker/compose.yaml")).expect("compose.yaml is YAML")
}

#[test]
fn compose_runs_the_api_on_postgresql_once_it_is_healthy() {
    let compose = compose();
    let services = compose["services"].as_object().expect("services");
    let names: Vec<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["postgres", "api"]);
    let api = &compose["services"]["api"];
    assert_eq!(api["build"]["dockerfile"], "docker/Dockerfile");
    assert_eq!(
        api["depends_on"]["postgres"]["condition"],
        "service_healthy"
    );
    let ports: Vec<&str> = api["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ports, ["8080:8080"]);
    let url = api["environment"]["CLIENTELA__DATABASE__URL"]
        .as_str()
        .expect("database url");
    assert!(
        url.starts_with("postgres://") && url.contains("@postgres:5432/"),
        "{url}"
    );
    assert_eq!(
        api["environment"]["CLIENTELA__SERVER__BIND"],
        "0.0.0.0:8080"
    );
}

#[test]
fn compose_services_have_healthchecks_and_named_volumes() {
    let compose = compose();
    let volumes = compose["volumes"].as_object().expect("top-level volumes");
    for (name, service) in compose["services"].as_object().expect("services") {
        let test = &service["healthcheck"]["test"];
        let test: Vec<&str> = test
            .as_array()
            .expect("healthcheck test")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(test.len() >= 2, "{name}: {test:?}");
        for mount in service["volumes"].as_array().expect("volumes") {
            let volume = mount
                .as_str()
                .expect("short syntax")
                .split(':')
                .next()
                .expect("name");
            assert!(
                volumes.contains_key(volume),
                "{name} mounts the named volume {volume}"
            );
        }
    }
    let api_check = compose["services"]["api"]["healthcheck"]["test"].to_string();
    assert!(api_check.contains("clientela-api") && api_check.contains("healthcheck"));
    let postgres_check = compose["services"]["postgres"]["healthcheck"]["test"].to_string();
    assert!(postgres_check.contains("pg_isready"));
}

#[test]
fn every_setting_compose_passes_is_in_the_settings_reference() {
    let reference = repository_file("docs/operations.md");
    let compose = compose();
    for (name, service) in compose["services"].as_object().expect("services") {
        let Some(environment) = service["environment"].as_object() else {
            continue;
        };
        for key in environment
            .keys()
            .filter(|key| key.starts_with("CLIENTELA__"))
        {
            assert!(
                reference.contains(&format!("`{key}`")),
                "{name}: {key} is not in docs/operations.md's settings table"
            );
        }
    }
}

#[test]
fn the_dockerfile_caches_dependencies_and_runs_non_root_with_a_healthcheck() {
    let dockerfile = repository_file("docker/Dockerfile");
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let stages: Vec<&str> = instructions
        .iter()
        .filter(|line| line.starts_with("FROM "))
        .filter_map(|line| line.split(" AS ").nth(1))
        .collect();
    assert_eq!(stages, ["chef", "planner", "builder", "runtime"]);
    assert!(dockerfile.contains("cargo chef prepare") && dockerfile.contains("cargo chef cook"));
    let cook = dockerfile.find("cargo chef cook").expect("cook");
    let copy_sources = dockerfile[cook..]
        .find("COPY . .")
        .expect("sources after cook");
    assert!(
        copy_sources > 0,
        "dependencies are built before the sources are copied"
    );

    let runtime = &instructions[instructions
        .iter()
        .position(|line| line.ends_with("AS runtime"))
        .expect("runtime stage")..];
    let user = runtime
        .iter()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("a USER in the runtime stage");
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "{user}"
    );
    let healthcheck = runtime
        .iter()
        .position(|line| line.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK");
    assert!(runtime[healthcheck + 1].contains("\"healthcheck\""));
    assert!(
        !runtime
            .iter()
            .any(|line| line.contains("curl") || line.contains("wget")),
        "the runtime image has no curl; the binary checks itself"
    );
}

/// Whether a `.dockerignore` pattern excludes `path` (relative to the context, `/`-separated):
/// `**` spans any number of folders, `*` and `?` stay within one name, and a pattern that
/// matches a folder excludes everything in it. Enough for the patterns this repository uses.
fn excluded_by(pattern: &str, path: &str) -> bool {
    fn glob(pattern: &[u8], name: &[u8]) -> bool {
        match (pattern.first(), name.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..]))
            }
            (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
            (Some(expected), Some(actual)) if expected == actual => glob(&pattern[1..], &name[1..]),
            _ => false,
        }
    }
    fn segments(pattern: &[&str], path: &[&str]) -> bool {
        match pattern.split_first() {
            // Everything below a matched folder is excluded too.
            None => true,
            Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
            Some((first, rest)) => path.split_first().is_some_and(|(name, below)| {
                glob(first.as_bytes(), name.as_bytes()) && segments(rest, below)
            }),
        }
    }
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

fn dockerignore_patterns() -> Vec<String> {
    repository_file(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_build_context_leaves_out_build_output_local_data_and_the_admin_key() {
    // compose builds with the repository root as context, where `.dockerignore` must be.
    assert_eq!(compose()["services"]["api"]["build"]["context"], "..");
    let patterns = dockerignore_patterns();
    let excluded = |path: &str| patterns.iter().any(|pattern| excluded_by(pattern, path));
    for path in [
        "target/release/clientela-api",
        "crates/api/target/debug/x",
        "data/admin.key",
        "data/clientela.db",
        "data/clientela.db-wal",
        "admin.key",
        "customers.db",
        "exports/customers.db",
        "some/where/admin.key",
        ".git/HEAD",
        "customers.csv.rejected.jsonl",
        ".env",
    ] {
        assert!(excluded(path), "{path} reaches the image build");
    }
    for path in [
        "Cargo.toml",
        "Cargo.lock",
        "crates/api/src/main.rs",
        "crates/core/data/gazetteer.bin",
        "migrations/sqlite/x/up.sql",
        "migrations/postgres/x/up.sql",
        "xtask/Cargo.toml",
        "docker/Dockerfile",
    ] {
        assert!(
            !excluded(path),
            "{path} is needed by the build but left out"
        );
    }
}

#[test]
fn the_operations_page_gets_the_admin_key_without_a_shell_in_the_image() {
    let page = repository_file("docs/operations.md");
    let compose_file = repository_file("docker/compose.yaml");
    // The runtime image is distroless: no shell, no cat.
    assert!(repository_file("docker/Dockerfile").contains("distroless"));
    for text in [&page, &compose_file] {
        assert!(
            !text.contains("exec api cat") && !text.contains("exec api sh"),
            "the image has no cat or shell"
        );
    }
    assert!(
        page.contains("docker compose -f docker/compose.yaml cp api:/data/admin.key"),
        "docs/operations.md: copy the key out of the volume"
    );
    assert!(
        page.contains("docker compose -f docker/compose.yaml exec api clientela-api key create"),
        "docs/operations.md: or make a key with the binary itself"
    );
    // The binary `exec` names is where the image puts it, on the PATH.
    let dockerfile = repository_file("docker/Dockerfile");
    assert!(dockerfile.contains("/usr/local/bin/clientela-api"));
}

#[test]
fn the_dockerignore_matcher_reads_patterns_as_docker_does() {
    assert!(excluded_by("target/", "target/debug/x"));
    assert!(!excluded_by("target/", "crates/api/target/x"));
    assert!(excluded_by("**/target/", "crates/api/target/x"));
    assert!(excluded_by("*.db", "x.db"));
    assert!(!excluded_by("*.db", "data/x.db"));
    assert!(excluded_by("**/*.db", "data/x.db"));
}
