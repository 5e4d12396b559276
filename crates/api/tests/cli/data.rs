//! The data commands as a user runs them: `import` (and its dry run), `export`, `geo
//! resolve` with its settings and overlays, and `changes`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use super::{command, terminate};

#[test]
fn import_and_export_run_from_the_command_line() {
    let folder = tempfile::tempdir().expect("folder");
    let input = folder.path().join("customers.csv");
    std::fs::write(
        &input,
        "code,country,yearBorn\nA-1,ES,1990\nA-2,,1200\nA-3,Atlantis,1991\n",
    )
    .expect("write");
    let import = command(folder.path())
        .arg("import")
        .arg(&input)
        .output()
        .expect("import");
    let summary = String::from_utf8_lossy(&import.stdout);
    let complaint = String::from_utf8_lossy(&import.stderr);
    assert_eq!(
        import.status.code(),
        Some(1),
        "a record failed, so the import fails: {summary}{complaint}"
    );
    assert!(complaint.contains("1 of 3 records failed"), "{complaint}");
    assert!(
        summary
            .contains("2 created, 0 updated, 0 unchanged, 1 failed; 1 with a place not resolved"),
        "{summary}"
    );
    assert!(
        summary.contains("customers.csv.rejected.jsonl"),
        "{summary}"
    );

    let output = folder.path().join("all.jsonl");
    let export = command(folder.path())
        .arg("export")
        .arg("--output")
        .arg(&output)
        .output()
        .expect("export");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let exported = std::fs::read_to_string(&output).expect("exported");
    assert_eq!(exported.lines().count(), 2);
    assert!(exported.contains("\"code\":\"A-1\""), "{exported}");
}

/// `geo resolve` reads `geo.numeric_state_codes` like the server: JP "29" is ISO JP-29 and
/// FIPS JA29 (JP-15); by default neither is guessed, and the setting chooses one. A value
/// that is not one of the three stops the command naming the setting.
#[test]
fn geo_resolve_reads_the_numeric_state_code_setting() {
    let folder = tempfile::tempdir().expect("folder");
    let resolve = |setting: Option<&str>| {
        let mut command = command(folder.path());
        if let Some(setting) = setting {
            command.env("CLIENTELA__GEO__NUMERIC_STATE_CODES", setting);
        }
        let mut child = command
            .args(["geo", "resolve"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run geo resolve");
        use std::io::Write;
        // A setting the command refuses stops it before it reads its input, so the write may
        // meet a closed pipe: that is the refusal the exit status and stderr below check.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"{\"country\":\"JP\",\"state\":\"29\"}\n");
        let output = child.wait_with_output().expect("wait");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, line, _) = resolve(None);
    assert!(ok);
    let answer: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(answer["state"], serde_json::Value::Null, "{line}");
    assert_eq!(answer["warnings"][0]["kind"], "ambiguous", "{line}");
    for (setting, code) in [("fips", "JP-15"), ("iso", "JP-29")] {
        let (ok, line, _) = resolve(Some(setting));
        assert!(ok);
        let answer: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
        assert_eq!(answer["state"]["code"], code, "{setting}: {line}");
    }
    let (ok, _, error) = resolve(Some("guess"));
    assert!(!ok, "an unknown reading stops the command");
    assert!(error.contains("numeric_state_codes"), "{error}");
}

#[test]
fn an_import_without_failures_exits_zero() {
    let folder = tempfile::tempdir().expect("folder");
    let input = folder.path().join("customers.jsonl");
    std::fs::write(&input, "{\"code\": \"B-1\", \"country\": \"ES\"}\n").expect("write");
    let import = command(folder.path())
        .arg("import")
        .arg(&input)
        .output()
        .expect("import");
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(
        String::from_utf8_lossy(&import.stdout).contains("1 created"),
        "{import:?}"
    );
}

#[test]
fn export_into_a_pipe_closed_early_ends_quietly_with_exit_zero() {
    use std::io::Read;
    let folder = tempfile::tempdir().expect("folder");
    let input = folder.path().join("many.jsonl");
    let lines: String = (0..3000)
        .map(|n| {
            format!(
                "{{\"code\": \"P-{n:05}\", \"metadata\": {{\"note\": \"{}\"}}}}\n",
                "x".repeat(100)
            )
        })
        .collect();
    std::fs::write(&input, lines).expect("write");
    let import = command(folder.path())
        .arg("import")
        .arg(&input)
        .output()
        .expect("import");
    assert!(import.status.success(), "{import:?}");

    // `clientela-api export | head -c 100`: the reader stops after a few bytes.
    let mut export = command(folder.path())
        .arg("export")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("export");
    let mut stdout = export.stdout.take().expect("stdout");
    let mut first = [0_u8; 100];
    stdout.read_exact(&mut first).expect("the first bytes");
    drop(stdout);
    let mut stderr = String::new();
    export
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = export.wait().expect("wait");
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

/// An overlay that adds one country the built-in gazetteer does not know.
fn testlandia_overlay(folder: &Path) -> std::path::PathBuf {
    let overlay = folder.join("overlay");
    std::fs::create_dir_all(&overlay).expect("overlay folder");
    std::fs::write(
        overlay.join("countries.csv"),
        "iso2,iso3,numeric_code,name\nXT,XTL,990,Testlandia\n",
    )
    .expect("countries.csv");
    std::fs::write(
        overlay.join("states.csv"),
        "id,name,country_code,iso3166_2\n",
    )
    .expect("states.csv");
    std::fs::write(
        overlay.join("cities.csv"),
        "id,name,country_code,state_iso3166_2\n",
    )
    .expect("cities.csv");
    overlay
}

fn resolve_line(data_dir: &Path, arguments: &[&std::ffi::OsStr]) -> String {
    use std::io::Write;
    let mut child = command(data_dir)
        .args(arguments)
        .args(["geo", "resolve"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("geo resolve");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"country\": \"Testlandia\"}\n")
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_command_resolves_places_with_the_same_overlays() {
    let folder = tempfile::tempdir().expect("folder");
    let overlay = testlandia_overlay(folder.path());
    let config = folder.path().join("clientela.toml");
    std::fs::write(
        &config,
        format!("[geo]\noverlays = [{:?}]\n", overlay.display().to_string()),
    )
    .expect("config");
    let with_config = [std::ffi::OsStr::new("--config"), config.as_os_str()];
    let with_flag = [std::ffi::OsStr::new("--overlay"), overlay.as_os_str()];

    // geo resolve: without the overlay the country is unknown; with it, from the file or
    // the flag, it is XT.
    assert!(!resolve_line(folder.path(), &[]).contains("\"XT\""));
    for arguments in [&with_config, &with_flag] {
        let line = resolve_line(folder.path(), arguments);
        assert!(line.contains("\"code\":\"XT\""), "{arguments:?}: {line}");
    }

    // import without the overlay: kept as sent, unresolved; geo reindex with it resolves it.
    let input = folder.path().join("customers.jsonl");
    std::fs::write(&input, "{\"code\": \"T-1\", \"country\": \"Testlandia\"}\n").expect("write");
    let import = command(folder.path())
        .arg("import")
        .arg(&input)
        .output()
        .expect("import");
    assert!(
        String::from_utf8_lossy(&import.stdout).contains("1 with a place not resolved"),
        "{import:?}"
    );
    let reindex = command(folder.path())
        .args(with_config)
        .args(["geo", "reindex"])
        .output()
        .expect("reindex");
    assert!(reindex.status.success(), "{reindex:?}");
    let export = command(folder.path())
        .arg("export")
        .output()
        .expect("export");
    let exported = String::from_utf8_lossy(&export.stdout);
    assert!(
        exported.contains("\"code\":\"XT\""),
        "reindexed: {exported}"
    );

    // import with the overlay resolves at once.
    let second = folder.path().join("more.jsonl");
    std::fs::write(
        &second,
        "{\"code\": \"T-2\", \"country\": \"Testlandia\"}\n",
    )
    .expect("write");
    let import = command(folder.path())
        .args(with_flag)
        .arg("import")
        .arg(&second)
        .output()
        .expect("import");
    assert!(
        String::from_utf8_lossy(&import.stdout).contains("0 with a place not resolved"),
        "{import:?}"
    );

    // serve with the same file: GET /geo/resolve knows it too.
    let mut child = command(folder.path())
        .args(with_config)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
        .expect("listening");
    let key = std::fs::read_to_string(folder.path().join("admin.key")).expect("admin.key");
    let resolved: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{base}/geo/resolve?country=Testlandia"))
        .bearer_auth(key.trim())
        .send()
        .expect("resolve")
        .json()
        .expect("json");
    assert!(terminate(&mut child).success());
    assert_eq!(resolved["country"]["code"], "XT", "{resolved}");
}

/// `changes` writes the feed as JSON lines, each with the fields its change set; `--after` the cursor of the last line resumes
/// after it, and a dry-run import adds nothing to it.
#[test]
fn the_change_feed_comes_out_as_json_lines_and_resumes_after_a_cursor() {
    let folder = tempfile::tempdir().expect("folder");
    let run = |args: &[&str]| {
        let output = command(folder.path()).args(args).output().expect("run");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = folder.path().join("first.jsonl");
    std::fs::write(
        &first,
        "{\"code\": \"F-1\"}\n{\"code\": \"F-2\", \"yearBorn\": 1990}\n",
    )
    .expect("write");
    run(&["import", first.to_str().expect("path")]);
    let lines: Vec<serde_json::Value> = run(&["changes"])
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["op"], "upsert");
    assert_eq!(lines[1]["customer"]["code"], "F-2");
    // Each line names the fields its change set: none for a create with defaults only.
    assert_eq!(lines[0]["changedFields"], serde_json::json!([]));
    assert_eq!(lines[1]["changedFields"], serde_json::json!(["yearBorn"]));
    let cursor = lines[1]["cursor"].as_str().expect("cursor").to_owned();

    let second = folder.path().join("second.jsonl");
    std::fs::write(&second, "{\"code\": \"F-3\"}\n").expect("write");
    let dry = run(&["import", "--dry-run", second.to_str().expect("path")]);
    assert!(dry.contains("dry run, nothing written"), "{dry}");
    assert_eq!(
        run(&["changes", "--after", &cursor]),
        "",
        "a dry run adds nothing"
    );
    run(&["import", second.to_str().expect("path")]);
    let after = run(&["changes", "--after", &cursor]);
    assert_eq!(after.lines().count(), 1, "{after}");
    assert!(after.contains("\"F-3\""), "{after}");
}
