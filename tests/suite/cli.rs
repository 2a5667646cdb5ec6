//! The command line as a user meets it: inputs, exit codes, layering, bad input.

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::Value;

fn rdp_doctor(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = super::rdp_doctor_command()
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rdp-doctor starts");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // A large paste is written from a thread so the child can drain stdout meanwhile.
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    child.wait_with_output().expect("rdp-doctor finishes")
}

/// Runs rdp-doctor with the fixture folder `rules/<name>` layered over the embedded rules.
fn with_rules(name: &str, args: &[&str]) -> Output {
    let dir = super::fixture(&format!("rules/{name}"));
    let mut all = vec!["--rules", dir.to_str().expect("UTF-8 path")];
    all.extend_from_slice(args);
    rdp_doctor(&all, None)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn seed_text() -> String {
    std::fs::read_to_string(super::fixture("pastes/seed-0x904-0x7.txt")).expect("seed fixture")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

#[test]
fn every_way_of_giving_the_paste_gives_the_same_diagnosis() {
    let text = seed_text();
    let file = super::fixture("pastes/seed-0x904-0x7.txt");
    let file = file.to_str().unwrap();
    let outputs = [
        rdp_doctor(&["diagnose", "--format", "json", &text], None),
        rdp_doctor(
            &["diagnose", "--format", "json", "-"],
            Some(text.as_bytes()),
        ),
        rdp_doctor(&["diagnose", "--format", "json"], Some(text.as_bytes())),
        rdp_doctor(&["diagnose", "--format", "json", "--file", file], None),
    ];
    let first = json(&outputs[0]);
    assert_eq!(first["diagnoses"].as_array().map(Vec::len), Some(5));
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        assert_eq!(json(output), first);
    }
}

#[test]
fn json_output_keeps_the_contract_field_names() {
    let output = rdp_doctor(&["diagnose", "--format", "json", &seed_text()], None);
    let report = json(&output);
    let keys = |value: &Value| -> Vec<String> {
        let mut keys: Vec<String> = value
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(report["version"], 1);
    assert_eq!(keys(&report), ["diagnoses", "input", "notices", "version"]);
    assert_eq!(keys(&report["input"]), ["codes", "hosts", "messages"]);
    let code = &report["input"]["codes"][0];
    for field in ["code", "family", "role", "name"] {
        assert!(code.get(field).is_some(), "input.codes[].{field} missing");
    }
    assert_eq!(code["code"], "0x904");
    assert_eq!(code["family"], "disconnect_reason");
    assert_eq!(code["role"], "error");
    let diagnosis = &report["diagnoses"][0];
    assert_eq!(
        keys(diagnosis),
        [
            "category",
            "causes",
            "codes",
            "evidence",
            "kind",
            "probes",
            "references",
            "rule",
            "score",
            "steps",
            "summary",
            "title"
        ]
    );
    assert_eq!(
        keys(&diagnosis["steps"][0]),
        ["body", "commands", "side", "title"]
    );
    assert_eq!(keys(&diagnosis["references"][0]), ["title", "url"]);
    let score = diagnosis["score"].as_f64().expect("score is a number");
    assert!(score > 0.0 && score < 1.0);
}

#[test]
fn exit_code_1_when_nothing_matches_says_what_was_seen_and_how_to_add_a_rule() {
    let output = rdp_doctor(
        &[
            "diagnose",
            "The printer is out of paper. Error code: 0x5a5a",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("0x5a5a"), "{text}");
    assert!(text.contains("No rule matched"), "{text}");
    assert!(text.contains("--rules DIR"), "{text}");
}

#[test]
fn exit_code_2_for_empty_input_missing_file_and_flag_typos() {
    let empty = rdp_doctor(&["diagnose", "-"], Some(b"  \n\t "));
    assert_eq!(empty.status.code(), Some(2));
    assert!(stderr(&empty).contains("empty"), "{}", stderr(&empty));

    let missing = rdp_doctor(&["diagnose", "--file", "/nonexistent/paste.txt"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/paste.txt"));

    let typo = rdp_doctor(&["diagnose", "--fromat", "json", "x"], None);
    assert_eq!(typo.status.code(), Some(2));
    assert!(stderr(&typo).contains("--format"), "{}", stderr(&typo));

    let bad_value = rdp_doctor(&["diagnose", "--format", "yaml", "x"], None);
    assert_eq!(bad_value.status.code(), Some(2));
}

#[test]
fn invalid_utf8_is_read_lossily_and_said() {
    let mut bytes = seed_text().into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\xfd garbage \xc3\x28");
    let output = rdp_doctor(&["diagnose", "--format", "json", "-"], Some(&bytes));
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    let notices = report["notices"].to_string();
    assert!(notices.contains("not valid UTF-8"), "{notices}");
}

#[test]
fn utf16_event_log_exports_are_decoded() {
    let text = "Error code: 0x904. Extended error code: 0x7.";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let output = rdp_doctor(&["diagnose", "--format", "json", "-"], Some(&bytes));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["input"]["codes"][0]["code"], "0x904");
    assert!(report["notices"].to_string().contains("UTF-16LE"));
}

/// UTF-16 without a byte order mark, in both byte orders, from a file and from a pipe; and a
/// UTF-8 paste in Chinese or Japanese is never taken for UTF-16.
#[test]
fn utf16_without_a_byte_order_mark_is_recognised() {
    let text = "Fehlercode: 0x904. Erweiterter Fehlercode: 0x7. Remotecomputer: srv-01";
    for (order, encode) in [
        ("UTF-16LE", u16::to_le_bytes as fn(u16) -> [u8; 2]),
        ("UTF-16BE", u16::to_be_bytes as fn(u16) -> [u8; 2]),
    ] {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(encode).collect();
        let output = rdp_doctor(&["diagnose", "--format", "json", "-"], Some(&bytes));
        let report = json(&output);
        assert_eq!(report["input"]["codes"][0]["code"], "0x904", "{order}");
        let notices = report["notices"].to_string();
        assert!(notices.contains(order), "{order}: {notices}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.txt");
        std::fs::write(&file, &bytes).unwrap();
        let output = rdp_doctor(
            &[
                "diagnose",
                "--format",
                "json",
                "--file",
                file.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(json(&output)["input"]["codes"][1]["code"], "0x7", "{order}");
    }
    let chinese = "错误代码: 0x904 扩展错误代码: 0x7";
    let output = rdp_doctor(
        &["diagnose", "--format", "json", "-"],
        Some(chinese.as_bytes()),
    );
    let report = json(&output);
    assert_eq!(report["input"]["codes"][0]["code"], "0x904");
    assert!(!report["notices"].to_string().contains("UTF-16"));
}

#[test]
fn binary_bytes_do_not_panic() {
    let bytes: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let output = rdp_doctor(&["diagnose", "-"], Some(&bytes));
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"));
}

#[test]
fn a_50_megabyte_paste_is_diagnosed() {
    // A long FreeRDP log with the seed dialog near the end.
    let line = "[21:24:44:353] [4551:4552] [INFO][com.freerdp.core] - freerdp_tcp_connect: resetting error state 0x0 on 10.10.99.147:3389\n";
    let mut text = line.repeat(50 * 1024 * 1024 / line.len());
    text.push_str(&seed_text());
    let started = std::time::Instant::now();
    let output = rdp_doctor(
        &["diagnose", "--format", "json", "-"],
        Some(text.as_bytes()),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        report["diagnoses"][0]["rule"],
        "rdp-certificate-expired-or-unreadable"
    );
    assert!(
        started.elapsed().as_secs() < 120,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn explain_reads_every_spelling_of_a_code() {
    for query in ["0x904", "2308", "0X00000904", "disconnect:0x904"] {
        let output = rdp_doctor(&["explain", "--format", "json", query], None);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{query}: {}",
            stderr(&output)
        );
        let readings = json(&output);
        let families: Vec<&str> = readings
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["family"].as_str().unwrap())
            .collect();
        assert!(
            families.contains(&"disconnect_reason"),
            "{query}: {families:?}"
        );
        assert!(readings.to_string().contains("Socket closed"), "{query}");
    }
    let extended = json(&rdp_doctor(
        &["explain", "--format", "json", "extended:0x7"],
        None,
    ));
    assert_eq!(extended.as_array().map(Vec::len), Some(1));
    assert_eq!(extended[0]["family"], "extended_reason");

    let symbol = json(&rdp_doctor(
        &[
            "explain",
            "--format",
            "json",
            "ERRINFO_SERVER_DENIED_CONNECTION",
        ],
        None,
    ));
    assert_eq!(symbol[0]["family"], "errinfo");
    assert_eq!(symbol[0]["code"], "0x7");

    let bare = json(&rdp_doctor(&["explain", "--format", "json", "0x7"], None));
    let families: Vec<&str> = bare
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["family"].as_str().unwrap())
        .collect();
    assert!(
        families.contains(&"extended_reason") && families.contains(&"errinfo"),
        "{families:?}"
    );
    for reading in bare.as_array().unwrap() {
        assert!(!reading["applies"].as_str().unwrap().is_empty());
    }
}

#[test]
fn explain_an_unknown_code_exits_1_and_garbage_exits_2() {
    assert_eq!(
        rdp_doctor(&["explain", "0x7fff1234"], None).status.code(),
        Some(1)
    );
    assert_eq!(
        rdp_doctor(&["explain", "nosuch:0x7"], None).status.code(),
        Some(2)
    );
}

#[test]
fn an_extra_folder_replaces_an_embedded_rule_and_says_so() {
    let output = with_rules("override", &["diagnose", "--format", "json", &seed_text()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    let top = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "rdp-certificate-expired-or-unreadable")
        .expect("the replaced rule still matches");
    assert!(top["title"].as_str().unwrap().starts_with("Team override"));
    let notices = report["notices"].to_string();
    assert!(
        notices.contains("replaces the one from embedded rules/certificate/"),
        "{notices}"
    );
}

#[test]
fn a_broken_extra_file_is_reported_with_its_place_and_the_rest_is_served() {
    let output = with_rules(
        "err_yaml_syntax",
        &["diagnose", "frobnicate failed on server01"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "one line per broken file: {err}");
    assert!(err.contains("broken-yaml.yaml:2:"), "{err}");
    assert!(stdout(&output).contains("The team's own rule for the word frobnicate"));

    // The embedded knowledge is still served beside it.
    let seed = with_rules("err_yaml_syntax", &["diagnose", &seed_text()]);
    assert_eq!(seed.status.code(), Some(0));

    let strict = with_rules(
        "err_yaml_syntax",
        &["--strict", "diagnose", "frobnicate failed"],
    );
    assert_eq!(strict.status.code(), Some(3));
}

#[test]
fn an_unknown_field_is_an_error_with_line_column_and_a_suggestion() {
    let output = with_rules("err_unknown_field", &["diagnose", "x"]);
    let err = stderr(&output);
    assert!(err.contains("wrong-weight-key.yaml:8:5: "), "{err}");
    assert!(err.contains("unknown field `weigth`"), "{err}");
}

#[test]
fn rules_test_passes_on_the_embedded_rules() {
    let output = rdp_doctor(&["rules", "test"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let table = stdout(&output);
    let examples: usize = rdp_doctor::catalog::Knowledge::embedded()
        .rules
        .iter()
        .map(|r| r.examples.len() + r.counter_examples.len())
        .sum();
    assert!(
        table.contains(&format!(
            "{examples} of {examples} examples and counter-examples passed"
        )),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("rdp-certificate-expired-or-unreadable "))
        .expect("a row per rule");
    assert!(row.contains(" - "), "no failures: {row}");
}

#[test]
fn rules_test_of_a_folder_says_why_each_failure_failed_and_trace_shows_the_scores() {
    let folder = super::fixture("rules/err_everything");
    let output = rdp_doctor(
        &["rules", "test", folder.to_str().unwrap(), "weak-examples"],
        None,
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "rule-set problems win over test failures"
    );
    let table = stdout(&output);
    let row = table
        .lines()
        .find(|l| l.starts_with("weak-examples "))
        .expect("a row for the rule");
    assert_eq!(
        row.split_whitespace().take(4).collect::<Vec<_>>(),
        ["weak-examples", "0/1", "0/1", "2"],
        "{table}"
    );
    assert!(
        table.contains("FAIL weak-examples example 1: no signature of the rule matched; not-in-remote-desktop-users ranked first"),
        "{table}"
    );
    assert!(
        table.contains("FAIL weak-examples counter-example 1: the rule matched it through text \"an internal error has occurred\""),
        "{table}"
    );
    let output = rdp_doctor(&["rules", "test", "no-such-rule"], None);
    assert_eq!(output.status.code(), Some(2));

    let output = rdp_doctor(
        &[
            "rules",
            "test",
            "--trace",
            "Error code: 0x904. Extended error code: 0x7.",
        ],
        None,
    );
    let trace = stdout(&output);
    assert!(
        trace.starts_with("Codes found: 0x904 (error), 0x7 (extended)"),
        "{trace}"
    );
    assert!(
        trace.contains("  1. rdp-certificate-expired-or-unreadable (raw +3, confidence 0.50)"),
        "{trace}"
    );
    assert!(
        trace.contains("codes disconnect:0x904 + extended:0x7 - matched (+3): \"Error code: 0x904\", \"Extended error code: 0x7\""),
        "{trace}"
    );
    assert!(
        trace.contains("text \"Keyset does not exist\" - not in the paste (+1)"),
        "{trace}"
    );
    assert!(
        trace.contains("Rules with no matching signature"),
        "{trace}"
    );
}

#[test]
fn rules_patterns_exports_every_signature_for_grep() {
    let output = rdp_doctor(&["rules", "patterns"], None);
    assert_eq!(output.status.code(), Some(0));
    let patterns = stdout(&output);
    let count = patterns.lines().count();
    let signatures: usize = rdp_doctor::catalog::Knowledge::embedded()
        .rules
        .iter()
        .map(|r| r.signatures.len())
        .sum();
    assert_eq!(count, signatures);
}

#[test]
fn a_probe_library_that_imports_itself_is_reported_and_never_run() {
    let check = with_rules("import-cycle", &["rules", "check"]);
    assert_eq!(check.status.code(), Some(3), "{}", stdout(&check));
    let text = stdout(&check);
    assert!(
        text.contains("loop.rhai:2:9: probe library `loop` imports itself (loop -> loop)"),
        "{text}"
    );
    // Probing with it fails that one probe with a clear error; the process does not abort.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let probe = with_rules(
        "import-cycle",
        &["probe", "--format", "json", &format!("127.0.0.1:{closed}")],
    );
    assert_ne!(probe.status.code(), None, "killed by a signal");
    let report = json(&probe);
    let uses = report["probes"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["probe"] == "uses_loop")
        .expect("the probe ran");
    assert_eq!(uses["status"], "error");
    assert!(
        uses["summary"]
            .as_str()
            .unwrap()
            .contains("import cycle or imports nested deeper than 8: loop -> loop"),
        "{uses}"
    );
}

#[test]
fn a_catalog_message_on_the_words_a_regex_read_counts_once() {
    let team = |paste: &str| {
        let output = with_rules(
            "message-same-words",
            &["diagnose", "--format", "json", paste],
        );
        assert!(stderr(&output).is_empty(), "{}", stderr(&output));
        json(&output)["diagnoses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == "team-identity-prompt")
            .cloned()
            .expect("the rule fires")
    };
    let english = team(
        "The identity of the remote computer cannot be verified. Do you want to connect anyway?",
    );
    let evidence = english["evidence"].to_string();
    assert!(evidence.contains("regex"), "{evidence}");
    assert!(
        !evidence.contains("message other:identity-warning"),
        "{evidence}"
    );
    assert_eq!(
        english["score"].as_f64(),
        Some(rdp_doctor::matcher::confidence(2.0))
    );
    // In Japanese only the catalog message reads the prompt, and it counts.
    let japanese = team("このリモート コンピュータのIDを識別できません。接続しますか?");
    let evidence = japanese["evidence"].to_string();
    assert!(
        evidence.contains("message other:identity-warning"),
        "{evidence}"
    );
    assert_eq!(
        japanese["score"].as_f64(),
        Some(rdp_doctor::matcher::confidence(1.0))
    );
}

#[test]
fn a_code_signature_also_fires_on_its_dialog_text_and_message_signatures_work() {
    let run = |paste: &str| {
        let output = with_rules(
            "message-signature",
            &["diagnose", "--format", "json", paste],
        );
        assert!(stderr(&output).is_empty(), "{}", stderr(&output));
        json(&output)
    };
    let typo = run(
        "Remote Desktop can't conect to the remote computer for one of these reasons: 1) Remote access to the server is not enabled 2) The remote computer is turned off",
    );
    let team = typo["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "team-port-closed")
        .expect("the rule fires on the dialog text");
    assert!(
        team["evidence"][0]
            .as_str()
            .unwrap()
            .contains("codes disconnect:0x204")
    );
    let warning = run(
        "The identity of the remote computer cannot be verified. Do you want to connect anyway?",
    );
    let evidence = warning["diagnoses"].to_string();
    assert!(
        evidence.contains("message other:identity-warning"),
        "{evidence}"
    );
}

#[test]
fn rules_test_takes_rule_ids() {
    // Regression: a positional `rules` clashed with the global `--rules` option (clap panic).
    let output = rdp_doctor(&["rules", "test", "client-outdated"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
}

#[test]
fn probe_options_are_checked_before_anything_is_probed() {
    let cases: [&[&str]; 6] = [
        &["diagnose", "0x904", "--gateway", "https://gw.example.com"],
        &["diagnose", "0x904", "--record", "/tmp/never-written.json"],
        &["diagnose", "0x904", "--host", "not a host"],
        &["diagnose", "0x904", "--host", "127.0.0.1:99999"],
        &["probe", "127.0.0.1", "--gateway", "http://gw.example.com"],
        &["probe"],
    ];
    for args in cases {
        let output = rdp_doctor(args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stdout(&output).contains("Checked on"), "{args:?}");
    }
    assert!(!std::path::Path::new("/tmp/never-written.json").exists());
    let recording = super::fixture("probes/xrdp-expired-cert.json");
    let recording = recording.to_str().unwrap();
    let output = rdp_doctor(&["probe", "192.0.2.7", "--replay", recording], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("holds probes of 127.0.0.1:33891, not of 192.0.2.7:3389"));
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), "{\n  \"version\": 1,\n  \"target\": 7\n}\n").unwrap();
    let output = rdp_doctor(
        &["probe", "--replay", broken.path().to_str().unwrap()],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(":3:"), "names the line: {message}");
    assert!(message.contains("not a probe recording"), "{message}");
    assert!(
        message.contains("3 |   \"target\": 7"),
        "shows the line: {message}"
    );
}

#[test]
fn nothing_is_probed_without_a_host_but_a_named_host_is_suggested() {
    let output = rdp_doctor(
        &[
            "diagnose",
            "--format",
            "json",
            "Error code: 0x904 connecting to rdp.example.com",
        ],
        None,
    );
    let report = json(&output);
    assert!(report.get("probes").is_none());
    let notices = report["notices"].to_string();
    assert!(
        notices.contains("add `--host rdp.example.com`"),
        "{notices}"
    );
}

#[test]
fn diagnose_with_a_host_probes_it_and_says_what_passed() {
    let port = super::servers::start(super::servers::Behaviour::Rdp(
        super::servers::Answer::SslWhenAsked,
        Some(super::servers::tls_config(super::servers::Cert::Expired)),
    ));
    let host = format!("127.0.0.1:{port}");
    let output = rdp_doctor(
        &[
            "diagnose",
            "--host",
            &host,
            "--width",
            "400",
            "--detail",
            &seed_text(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains(&format!("Checked on {host}")), "{text}");
    assert!(
        text.contains(&format!(
            "pass    reachability          TCP {port} reachable"
        )),
        "{text}"
    );
    let first = text
        .lines()
        .find(|l| l.starts_with("1. "))
        .expect("a first cause");
    assert!(first.contains("expired"), "{first}");
    assert!(
        text.contains("valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z"),
        "{text}"
    );
    // Commands use the port that was probed, not the default one.
    assert!(
        text.contains(&format!("-Port {port}")) && !text.contains("-Port 3389"),
        "{text}"
    );

    // A closed port: the probe report says so and ranks the listener rule first.
    let closed = format!("127.0.0.1:{}", super::servers::closed_port());
    let output = rdp_doctor(&["probe", &closed, "--format", "json"], None);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let results = report["probes"]["results"].as_array().unwrap();
    let reach = results
        .iter()
        .find(|r| r["probe"] == "reachability")
        .unwrap();
    assert_eq!(reach["status"], "fail");
    assert_eq!(report["diagnoses"][0]["category"], "network_unreachable");
}

#[test]
fn an_extra_probe_script_runs_and_a_broken_one_is_reported_with_its_place() {
    let port = super::servers::start(super::servers::Behaviour::Rdp(
        super::servers::Answer::SslWhenAsked,
        Some(super::servers::tls_config(super::servers::Cert::SelfSigned)),
    ));
    let host = format!("127.0.0.1:{port}");
    let output = with_rules("probe-scripts", &["probe", &host, "--format", "json"]);
    let problems = stderr(&output);
    assert!(
        problems
            .contains("probe-scripts/probes/unfinished.rhai:2:45: probe script does not compile"),
        "{problems}"
    );
    let report = json(&output);
    let results = report["probes"]["results"].as_array().unwrap();
    let extra = results
        .iter()
        .find(|r| r["probe"] == "rdp_port_banner")
        .expect("the extra probe ran");
    assert_eq!(extra["status"], "pass");
    assert_eq!(
        extra["summary"],
        "a TLS-only request gets RDP_NEG_RSP PROTOCOL_SSL"
    );
    assert!(results.iter().all(|r| r["probe"] != "unfinished"));
    // The embedded probes still ran.
    assert_eq!(results.len(), 7, "{results:#?}");
}

/// The title of the expired-certificate rule and the notices, with these layers.
fn layered_title(env: &[(&str, String)], args: &[&str]) -> (String, String) {
    let mut command = super::rdp_doctor_command();
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .args(args)
        .args(["diagnose", "--format", "json", &seed_text()])
        .output()
        .expect("rdp-doctor runs");
    let report = json(&output);
    let rule = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "rdp-certificate-expired-or-unreadable")
        .expect("the rule is a candidate");
    (
        rule["title"].as_str().unwrap().to_string(),
        report["notices"].to_string(),
    )
}

#[test]
fn layers_take_precedence_in_order_rules_flag_env_user_folder_embedded() {
    let fixture = |name: &str| {
        super::fixture(&format!("rules/{name}"))
            .display()
            .to_string()
    };
    let user = ("XDG_CONFIG_HOME", fixture("layer-user"));
    let (title, _) = layered_title(&[], &[]);
    assert!(
        title.starts_with("The server's RDP certificate has expired"),
        "{title}"
    );
    let (title, notices) = layered_title(std::slice::from_ref(&user), &[]);
    assert_eq!(title, "User folder: the RDP certificate expired");
    assert!(notices.contains("layer-user/rdp-doctor/rules/certificate/rdp-certificate-expired-or-unreadable.yaml replaces the one from embedded"), "{notices}");
    let env = (
        "RDP_DOCTOR_RULES",
        std::env::join_paths([fixture("layer-env"), fixture("override")])
            .unwrap()
            .into_string()
            .unwrap(),
    );
    // The first folder of the list wins, as in PATH.
    let (title, _) = layered_title(&[user.clone(), env.clone()], &[]);
    assert_eq!(title, "Environment layer: the RDP certificate expired");
    let (title, _) = layered_title(&[user, env], &["--rules", &fixture("override")]);
    assert_eq!(
        title,
        "Team override: the RDP certificate expired (see the team wiki)"
    );

    // `rules list --only-extra` shows only the extra rules, with their files.
    let output = rdp_doctor(
        &[
            "--rules",
            &fixture("override"),
            "rules",
            "list",
            "--only-extra",
            "--format",
            "json",
        ],
        None,
    );
    let rows = json(&output);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("override/rules/certificate/rdp-certificate-expired-or-unreadable.yaml")
    );
}

#[test]
fn rules_check_passes_on_the_embedded_knowledge_and_on_a_good_extra_folder() {
    let output = rdp_doctor(&["rules", "check"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
    let folder = super::fixture("rules/override");
    let output = rdp_doctor(&["rules", "check", folder.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn an_extra_folder_may_replace_the_markdown_template_and_include_its_own() {
    let output = with_rules(
        "template-override",
        &[
            "diagnose",
            "--format",
            "markdown",
            "Error code: 0x904. Extended error code: 0x7.",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let markdown = stdout(&output);
    assert!(
        markdown.starts_with("## RDP ticket: The server's RDP certificate has expired"),
        "{markdown}"
    );
    assert!(
        markdown
            .trim_end()
            .ends_with("Escalate to the server team if the steps in the wiki do not help."),
        "{markdown}"
    );
    let json = json(&with_rules(
        "template-override",
        &["diagnose", "--format", "json", "0x904"],
    ));
    assert!(
        json["notices"]
            .to_string()
            .contains("template `report/diagnosis.md.j2` from")
    );
}

/// The default report fits one screen: a verdict first, one line per candidate, the best
/// one's summary and first steps, and a last line that says how to see the rest.
#[test]
fn the_default_report_fits_one_screen_and_detail_shows_the_rest() {
    let short = stdout(&rdp_doctor(
        &["diagnose", "--width", "80", &seed_text()],
        None,
    ));
    let lines: Vec<&str> = short.lines().collect();
    assert!(lines.len() <= 40, "{} lines:\n{short}", lines.len());
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{short}");
    assert!(lines[0].starts_with("Most likely: "), "{short}");
    assert!(lines.last().unwrap().contains("--detail"), "{short}");
    let candidates = lines
        .iter()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains("0."))
        .count();
    assert!(candidates >= 3, "{short}");
    assert!(!short.contains("Why it happens"), "{short}");

    let detail = stdout(&rdp_doctor(
        &["diagnose", "--width", "80", "--all", &seed_text()],
        None,
    ));
    assert!(detail.contains("Why it happens"), "{detail}");
    assert!(detail.contains("What to do, in order"), "{detail}");
    assert!(detail.lines().count() > 4 * lines.len());

    // --top limits the candidates in every format.
    let top = stdout(&rdp_doctor(
        &["diagnose", "--top", "2", "--format", "json", &seed_text()],
        None,
    ));
    let report: serde_json::Value = serde_json::from_str(&top).unwrap();
    assert_eq!(report["diagnoses"].as_array().unwrap().len(), 2);
    let output = rdp_doctor(&["diagnose", "--top", "0", &seed_text()], None);
    assert_eq!(output.status.code(), Some(2));
}

/// Nothing a user copies is broken across lines: URLs, paths and rule ids stay whole even in
/// a narrow terminal.
#[test]
fn wrapping_never_splits_a_url_a_path_or_an_id() {
    let text = stdout(&rdp_doctor(
        &["diagnose", "--width", "60", "--detail", &seed_text()],
        None,
    ));
    for word in [
        "<https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/internal-error-has-occurred-connecting-remote-machine>",
        "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys",
        "rdp-certificate-expired-or-unreadable",
    ] {
        assert!(text.contains(word), "{word} is split:\n{text}");
    }
}

/// Shell completions and the manual page come from the same definition as the parser.
#[test]
fn completions_and_the_manual_page_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = rdp_doctor(&["completions", shell], None);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        for word in ["diagnose", "explain", "probe", "detail", "top"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script parses.
    let script = stdout(&rdp_doctor(&["completions", "bash"], None));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rdp-doctor.bash");
    std::fs::write(&path, script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let output = rdp_doctor(&["man"], None);
    assert_eq!(output.status.code(), Some(0));
    let page = stdout(&output);
    assert!(page.contains(".TH rdp-doctor 1"), "{page}");
    for command in ["diagnose", "explain", "probe", "rules", "catalog", "site"] {
        assert!(page.contains(command), "the manual page lacks {command}");
    }
    let output = rdp_doctor(&["completions", "tcsh"], None);
    assert_eq!(output.status.code(), Some(2));
}

/// `rules list` keeps to the terminal: the codes come last and are cut to what fits (counted,
/// never split), event IDs are decimal, and JSON still lists every code.
#[test]
fn rules_list_fits_the_terminal_and_json_keeps_every_code() {
    let output = super::rdp_doctor_command()
        .args(["rules", "list"])
        .env("COLUMNS", "100")
        .output()
        .expect("rdp-doctor runs");
    let text = stdout(&output);
    let longest_id = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::len)
        .max()
        .unwrap();
    // The fixed columns (id, category, examples, origin), then the codes that fit in 24
    // characters, or the first code and the count of the others.
    let limit = (longest_id + 2 + 22 + 10 + 10 + 30).max(100);
    for line in text.lines() {
        assert!(
            line.chars().count() <= limit,
            "{} > {limit}: {line}",
            line.chars().count()
        );
    }
    assert!(text.contains(" more"), "{text}");
    assert!(!text.contains("event:0x"), "{text}");
    let json = json(&rdp_doctor(&["rules", "list", "--format", "json"], None));
    let codes: usize = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["codes"].as_array().unwrap().len())
        .sum();
    assert!(codes > 400, "{codes} codes in the JSON listing");
    assert!(json.to_string().contains("event:4740"));
}

/// A probe expression that names a fact its probe never returns can never hold: `rules check`
/// says so at its place, with the fact it probably meant.
#[test]
fn rules_check_reports_a_probe_expression_over_a_fact_that_does_not_exist() {
    let source = std::fs::read_to_string(super::fixture(
        "../../rules/certificate/rdp-certificate-expired-or-unreadable.yaml",
    ))
    .unwrap()
    .replace(
        "id: rdp-certificate-expired-or-unreadable",
        "id: our-certificate-rule",
    )
    .replace(
        "confirms_when: \"tls && (expired || not_yet_valid)\"",
        "confirms_when: \"tls && (expird || not_yet_valid)\"",
    );
    assert!(source.contains("expird"));
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules/certificate");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("our-certificate-rule.yaml"), source).unwrap();
    let output = rdp_doctor(&["rules", "check", dir.path().to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let report = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        report.contains(
            "our-certificate-rule.yaml:41:20: `confirms_when` names `expird`, a fact probe `tls_certificate` never returns"
        ),
        "{report}"
    );
    assert!(report.contains("did you mean `expired`?"), "{report}");
}

#[test]
fn probe_prints_a_short_report_and_the_full_one_with_detail() {
    let recording = super::fixture("probes/xrdp-expired-cert.json");
    let recording = recording.to_str().unwrap();
    let short = stdout(&rdp_doctor(
        &["probe", "--replay", recording, "--width", "80"],
        None,
    ));
    let lines = short.lines().count();
    assert!(lines <= 40, "{lines} lines:\n{short}");
    assert!(short.contains("Findings (4)"), "{short}");
    assert!(short.contains("First steps\n  1. [client]"), "{short}");
    assert!(
        short
            .trim_end()
            .ends_with("More: --detail (evidence, causes, steps with commands, references)"),
        "{short}"
    );
    let full = stdout(&rdp_doctor(
        &["probe", "--replay", recording, "--width", "80", "--detail"],
        None,
    ));
    assert!(full.contains("Findings and what to do (4)"), "{full}");
    assert!(
        full.lines().count() > 4 * lines,
        "the full report is the long one"
    );
}

#[test]
fn event_ids_are_shown_in_decimal_in_every_format() {
    let paste = "Schannel event 36870: A fatal error occurred when attempting to access the TLS server credential private key.";
    let report = json(&rdp_doctor(&["diagnose", "--format", "json", paste], None));
    let code = &report["input"]["codes"][0];
    assert_eq!(
        (code["code"].as_str(), code["shown"].as_str()),
        (Some("0x9006"), Some("36870")),
        "{code}"
    );
    let text = stdout(&rdp_doctor(&["diagnose", "--width", "100", paste], None));
    assert!(text.contains("event ID 36870"), "{text}");
    assert!(!text.contains("0x9006"), "{text}");
    let markdown = stdout(&rdp_doctor(
        &["diagnose", "--format", "markdown", paste],
        None,
    ));
    assert!(markdown.contains("`36870`"), "{markdown}");
}
