//! `scan`: whole logs, line by line; each distinct problem once, worst first, with its count,
//! first and last line, and samples.

use std::io::Write as _;
use std::process::Output;

use serde_json::Value;

use super::rdp_doctor_command;

fn run(args: &[&str]) -> Output {
    rdp_doctor_command().args(args).output().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
}

/// Real FreeRDP 2 lines of the lab (tests/fixtures/pastes/lab/expired-cert_default.txt).
const NOISE: &[&str] = &[
    "[09:56:59:762] [19938:19941] [INFO][com.freerdp.client.x11] - Authentication only. Don't connect to X.",
    "[09:56:59:073] [19938:19941] [INFO][com.freerdp.crypto] - creating directory $HOME/.config/freerdp",
    "[09:56:59:073] [19938:19941] [INFO][com.freerdp.crypto] - created directory [$HOME/.config/freerdp/server]",
];
const WARNING: &str = "[09:56:59:096] [19938:19941] [WARN][com.freerdp.crypto] - Certificate verification failure 'self-signed certificate (18)' at stack position 0";
const FAILURE: &str = "[09:56:59:097] [19938:19941] [ERROR][com.freerdp.core] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]";

/// A log of `lines` lines: noise, a certificate warning every 97 lines, and the one failure
/// at line `failure_at`. Returns the text and the line numbers of the warnings.
fn log(lines: usize, failure_at: usize) -> (String, Vec<u64>) {
    let mut text = String::new();
    let mut warnings = Vec::new();
    for n in 1..=lines {
        if n == failure_at {
            text.push_str(FAILURE);
        } else if n % 97 == 0 {
            text.push_str(WARNING);
            warnings.push(n as u64);
        } else {
            text.push_str(NOISE[n % NOISE.len()]);
        }
        text.push('\n');
    }
    (text, warnings)
}

/// The id of the best candidate `diagnose` gives one line.
fn diagnosed_as(line: &str) -> String {
    let report = json(&run(&["diagnose", "--format", "json", "--", line]));
    let best = &report["diagnoses"][0];
    best["rule"]
        .as_str()
        .or(best["entry"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn the_line_that_ended_the_connection_comes_before_a_repeated_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (text, warnings) = log(30_000, 21_234);
    let path = dir.path().join("freerdp.log");
    std::fs::write(&path, &text).unwrap();
    let output = run(&["scan", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["version"], 1);
    assert_eq!(report["inputs"][0]["lines"], 30_000);
    let problems = report["problems"].as_array().unwrap();
    let first = &problems[0];
    assert_eq!(
        first["id"].as_str().unwrap(),
        diagnosed_as(FAILURE),
        "{first}"
    );
    assert_eq!(
        (first["count"].as_u64(), first["level"].as_str()),
        (Some(1), Some("error"))
    );
    assert_eq!(first["first"]["line"], 21_234);
    assert_eq!(first["first"]["time"], "09:56:59:097");
    assert_eq!(first["samples"][0]["text"], FAILURE);
    // The warning is one problem, with every occurrence counted and its first and last line.
    let warning_id = diagnosed_as(WARNING);
    let warning = problems
        .iter()
        .find(|p| p["id"] == warning_id.as_str())
        .unwrap();
    assert_eq!(warning["count"].as_u64(), Some(warnings.len() as u64));
    assert_eq!(warning["first"]["line"].as_u64(), warnings.first().copied());
    assert_eq!(warning["last"]["line"].as_u64(), warnings.last().copied());
    assert_eq!(warning["level"], "warning");
    // Noise lines are counted, not diagnosed.
    assert_eq!(
        report["diagnosed_lines"].as_u64(),
        Some(warnings.len() as u64 + 1)
    );
    // The text report: the failure first, with its place and time.
    let text_report =
        String::from_utf8(run(&["scan", "--width", "100", path.to_str().unwrap()]).stdout).unwrap();
    assert!(text_report.contains("  1. ERROR"), "{text_report}");
    assert!(
        text_report.contains("freerdp.log:21234 (09:56:59:097)"),
        "{text_report}"
    );
}

#[test]
fn gzip_folders_and_standard_input_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = log(5_000, 4_321);
    let plain = dir.path().join("a.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("b.log.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("c.log")).unwrap();
    let problems = |report: &Value| -> Vec<(String, u64)> {
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_string(),
                    p["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let one = json(&run(&["scan", "--format", "json", plain.to_str().unwrap()]));
    let zipped = json(&run(&["scan", "--format", "json", gz.to_str().unwrap()]));
    assert_eq!(zipped["inputs"][0]["gzip"], true);
    assert_eq!(problems(&one), problems(&zipped));
    let mut stdin = rdp_doctor_command()
        .args(["scan", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    stdin
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let piped = json(&stdin.wait_with_output().unwrap());
    assert_eq!(problems(&one), problems(&piped));
    // The folder: both logs (every problem twice as often), the link reported, not followed.
    let folder = json(&run(&[
        "scan",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(folder["inputs"].as_array().unwrap().len(), 2);
    let doubled: Vec<(String, u64)> = problems(&one)
        .into_iter()
        .map(|(id, n)| (id, 2 * n))
        .collect();
    assert_eq!(problems(&folder), doubled);
    let notices = folder["notices"].to_string();
    assert!(notices.contains("c.log: a link; not followed"), "{notices}");
    assert!(
        !folder.to_string().contains("root:"),
        "the link's target was read"
    );
}

#[test]
fn redacted_samples_and_bad_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.log");
    std::fs::write(
        &path,
        "[10:00:00:000] [1:2] [ERROR][com.freerdp.core] - freerdp_tcp_connect: failed to connect to rdsh07.corp.contoso.com\n\
         [10:00:01:000] [1:2] [ERROR][com.freerdp.core] - transport_connect:freerdp_set_last_error_ex ERRCONNECT_CONNECT_FAILED [0x00020006]\n",
    )
    .unwrap();
    let plain =
        String::from_utf8(run(&["scan", "--format", "json", path.to_str().unwrap()]).stdout)
            .unwrap();
    assert!(plain.contains("rdsh07.corp.contoso.com"), "{plain}");
    for format in ["json", "text", "markdown"] {
        let out = run(&[
            "scan",
            "--redact",
            "--format",
            format,
            path.to_str().unwrap(),
        ]);
        let out = String::from_utf8(out.stdout).unwrap();
        assert!(
            !out.contains("rdsh07") && !out.contains("contoso"),
            "{format}:\n{out}"
        );
        assert!(out.contains("host-1"), "{format}:\n{out}");
    }
    let missing = run(&["scan", dir.path().join("nope.log").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("nope.log") && stderr.contains("nothing to scan"),
        "{stderr}"
    );
}

/// A fixture of `tests/fixtures/events/`.
fn event_fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Each problem's id, count, first time and first record id.
fn event_problems(report: &Value) -> Vec<(String, u64, String, u64)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["count"].as_u64().unwrap(),
                p["first"]["time"].as_str().unwrap_or_default().to_string(),
                p["first"]["record"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The real RdpCoreTS log: every event 140 ("the user name or password is not correct") is
/// one problem, counted as often as the file holds it (counted here with the `evtx` crate
/// itself), first seen at the first one's record; the events of one ActivityID are one
/// attempt.
#[test]
fn evtx_events_are_diagnosed_and_grouped_into_attempts() {
    let path = event_fixture("rdpcorets-operational.evtx");
    let mut parser = evtx::EvtxParser::from_path(&path).unwrap();
    let mut failures = Vec::new();
    let mut records = 0;
    for record in parser.records_json_value().flatten() {
        records += 1;
        let system = &record.data["Event"]["System"];
        if system["EventID"] == 140 {
            failures.push((
                record.event_record_id,
                system["TimeCreated"]["#attributes"]["SystemTime"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
    }
    assert!(failures.len() > 100, "the fixture holds many failed logons");
    let report = json(&run(&["scan", "--format", "json", &path]));
    let input = &report["inputs"][0];
    assert_eq!(input["format"], "evtx");
    assert_eq!(input["events"], records);
    let problem = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "event:0x8c")
        .unwrap_or_else(|| panic!("no event 140 problem: {report:#}"));
    assert_eq!(problem["category"], "credentials");
    assert_eq!(problem["level"], "warning");
    assert_eq!(problem["count"], failures.len() as u64);
    assert_eq!(problem["first"]["record"], failures[0].0);
    assert_eq!(problem["first"]["time"], failures[0].1.as_str());
    assert_eq!(problem["last"]["record"], failures.last().unwrap().0);
    // Attempts: grouped by ActivityID; those with a failed logon failed.
    let attempts = &report["attempts"];
    let episodes = report["episodes"].as_array().unwrap();
    assert!(attempts["failed"].as_u64().unwrap() > 0);
    assert_eq!(
        attempts["total"].as_u64().unwrap(),
        episodes.len() as u64 + attempts["not_listed"].as_u64().unwrap()
    );
    let with_failure: Vec<&Value> = episodes
        .iter()
        .filter(|e| {
            e["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == "event:0x8c")
        })
        .collect();
    assert!(!with_failure.is_empty());
    for episode in with_failure {
        assert!(
            episode["key"].as_str().unwrap().starts_with("activity {"),
            "{episode:#}"
        );
        assert_ne!(episode["outcome"]["level"], "info", "{episode:#}");
        assert!(!episode["clients"].as_array().unwrap().is_empty());
    }
    // The text report lists the failed attempts after the problems.
    let text = String::from_utf8(run(&["scan", "--width", "100", &path]).stdout).unwrap();
    assert!(text.contains("Connection attempts: "), "{text}");
    assert!(text.contains("activity {"), "{text}");
}

/// The same real events exported as XML (as wevtutil writes them, one after another), as JSON
/// lines (evtx_dump's `jsonl`) and as one pretty JSON list give the same problems as the
/// EVTX file.
#[test]
fn xml_json_lines_and_json_list_exports_read_as_the_evtx() {
    let path = event_fixture("rdpcorets-operational.evtx");
    let settings = || evtx::ParserSettings::new().indent(false);
    let dir = tempfile::tempdir().unwrap();
    let mut xml = String::new();
    let mut parser = evtx::EvtxParser::from_path(&path)
        .unwrap()
        .with_configuration(settings());
    for record in parser.records().flatten() {
        xml.push_str(&record.data);
        xml.push('\n');
    }
    let mut lines = String::new();
    let mut list = Vec::new();
    let mut parser = evtx::EvtxParser::from_path(&path)
        .unwrap()
        .with_configuration(settings());
    for record in parser.records_json_value().flatten() {
        lines.push_str(&record.data.to_string());
        lines.push('\n');
        list.push(record.data);
    }
    let exports = [
        ("events.xml", xml),
        ("events.jsonl", lines),
        ("events.json", serde_json::to_string_pretty(&list).unwrap()),
    ];
    let expected = event_problems(&json(&run(&["scan", "--format", "json", &path])));
    assert!(expected.len() >= 3, "{expected:?}");
    for (name, text) in exports {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let report = json(&run(&["scan", "--format", "json", file.to_str().unwrap()]));
        let format = if name.ends_with("xml") { "xml" } else { "json" };
        assert_eq!(report["inputs"][0]["format"], format, "{name}");
        assert_eq!(report["inputs"][0]["events"], list.len() as u64, "{name}");
        assert_eq!(
            report["inputs"][0]["bytes"],
            std::fs::metadata(&file).unwrap().len(),
            "{name}"
        );
        assert_eq!(event_problems(&report), expected, "{name}");
    }
}

/// Failed logons of the Security log are told apart by their sub-status: a bad password, a
/// locked account (with its lockout event 4740), a disabled account and a logon type not
/// granted are four problems; a successful logon is a step, not a problem.
#[test]
fn failed_logons_are_decoded_by_their_sub_status() {
    let path = event_fixture("failed-logons.xml");
    let report = json(&run(&["scan", "--format", "json", &path]));
    let mut found: Vec<(String, u64)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["count"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        ("credentials-did-not-work".to_string(), 3),
        ("account-locked-out".to_string(), 3),
        ("account-disabled-or-expired".to_string(), 1),
        ("deny-logon-through-rds-policy".to_string(), 1),
    ];
    expected.sort();
    assert_eq!(found, expected);
    // alice's five failures from one address are one failed attempt; carol's logon went
    // through.
    let episodes = report["episodes"].as_array().unwrap();
    let alice = episodes.iter().find(|e| e["users"][0] == "alice").unwrap();
    assert_eq!(alice["count"], 5);
    assert_eq!(alice["outcome"]["id"], "account-locked-out");
    let carol = episodes.iter().find(|e| e["users"][0] == "carol").unwrap();
    assert_eq!(carol["outcome"]["level"], "info");
    assert_eq!(report["attempts"]["failed"], 3);
    // Redacted, no user name or address is left.
    let redacted =
        String::from_utf8(run(&["scan", "--redact", "--format", "json", &path]).stdout).unwrap();
    for value in ["alice", "carol", "192.0.2.10", "RDS01"] {
        assert!(!redacted.contains(value), "{value} in {redacted}");
    }
}

/// A real Event Viewer CSV export of a German Windows (FreeRDP/FreeRDP#11159): its localized
/// header, level words and dates are read, and `--since` leaves out the earlier events.
#[test]
fn a_german_event_viewer_csv_and_since() {
    let path = event_fixture("gateway-de.csv");
    let all = json(&run(&["scan", "--format", "json", &path]));
    assert_eq!(all["inputs"][0]["format"], "csv");
    assert_eq!(all["inputs"][0]["events"], 3);
    assert_eq!(all["outside_window"], 0);
    let since = json(&run(&[
        "scan",
        "--format",
        "json",
        "--since",
        "2026-04-29 09:43:56",
        &path,
    ]));
    assert_eq!(since["outside_window"], 2);
    let until = json(&run(&[
        "scan",
        "--format",
        "json",
        "--until",
        "2026-04-28",
        &path,
    ]));
    assert_eq!(until["outside_window"], 3);
    let bad = run(&["scan", "--since", "yesterday", &path]);
    assert_eq!(bad.status.code(), Some(2));
}

/// FreeRDP lines of two client processes are two attempts; the one that failed ended with its
/// TLS error, the other went through. Lines without a date are kept by `--since` and counted.
#[test]
fn freerdp_processes_are_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.log");
    let other = FAILURE.replace("[19938:19941]", "[20001:20002]");
    let warning_b = WARNING.replace("[19938:19941]", "[20001:20002]");
    std::fs::write(
        &path,
        format!("{WARNING}\n{FAILURE}\n{warning_b}\n{other}\n{WARNING}\n"),
    )
    .unwrap();
    let report = json(&run(&["scan", "--format", "json", path.to_str().unwrap()]));
    let keys: Vec<(&str, u64)> = report["episodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap(), e["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(keys, vec![("process 19938", 3), ("process 20001", 2)]);
    assert_eq!(report["attempts"]["failed"], 2);
    let failure_id = diagnosed_as(FAILURE);
    for episode in report["episodes"].as_array().unwrap() {
        assert_eq!(episode["outcome"]["id"], failure_id.as_str());
        assert_eq!(episode["outcome"]["level"], "error");
    }
    let since = json(&run(&[
        "scan",
        "--format",
        "json",
        "--since",
        "2026-01-01",
        path.to_str().unwrap(),
    ]));
    assert_eq!(since["undated"], 5);
    assert_eq!(since["outside_window"], 0);
}

/// `diagnose --file` on a log over 1 MiB reads it as `scan` does: the line that ended the
/// connection is named in a notice, and what the same attempt showed before it (the
/// certificate warning, once, not its hundreds of repeats) is diagnosed with it, as a paste of
/// those two lines would be.
#[test]
fn diagnose_file_reads_a_large_log_as_scan_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let (text, warnings) = log(30_000, 21_234);
    assert!(text.len() > 1024 * 1024, "{} bytes", text.len());
    std::fs::write(&path, &text).unwrap();
    let report = json(&run(&[
        "diagnose",
        "--format",
        "json",
        "--file",
        path.to_str().unwrap(),
    ]));
    let notices = report["notices"].to_string();
    assert!(
        notices.contains("read as a log") && notices.contains("line 21234 (09:56:59:097), once"),
        "{notices}"
    );
    assert!(
        notices.contains(&format!("{} times", warnings.len())),
        "{notices}"
    );
    let two_lines = json(&run(&[
        "diagnose",
        "--format",
        "json",
        "--",
        &format!("{FAILURE}\n\n{WARNING}"),
    ]));
    let ids = super::ranked;
    assert_eq!(ids(&report), ids(&two_lines));
    // An event export over 64 KiB is read as events, not as text; one under it is a paste.
    let xml = std::fs::read_to_string(event_fixture("failed-logons.xml")).unwrap();
    let exported = dir.path().join("security.xml");
    std::fs::write(&exported, xml.repeat(8)).unwrap();
    let events = json(&run(&[
        "diagnose",
        "--format",
        "json",
        "--file",
        exported.to_str().unwrap(),
    ]));
    let notices = events["notices"].to_string();
    assert!(
        notices.contains("read as a log") && notices.contains("record 1004"),
        "{notices}"
    );
    let first = ids(&events);
    assert!(
        first.iter().take(4).any(|id| id == "account-locked-out"),
        "{first:?}"
    );
    let pasted = json(&run(&[
        "diagnose",
        "--format",
        "json",
        "--file",
        &event_fixture("failed-logons.xml"),
    ]));
    assert!(!pasted["notices"].to_string().contains("read as a log"));
    // An EVTX file always is; one in which nothing names a problem matches nothing, and says
    // why.
    let quiet = run(&[
        "diagnose",
        "--format",
        "json",
        "--file",
        &event_fixture("remoteconnectionmanager-operational.evtx"),
    ]);
    assert_eq!(quiet.status.code(), Some(1));
    let quiet = json(&quiet);
    assert_eq!(quiet["diagnoses"], serde_json::json!([]));
    assert!(
        quiet["notices"]
            .to_string()
            .contains("no line or event of it names a problem"),
        "{quiet:#}"
    );
}

/// A progress bar on a terminal (here the pseudo-terminal of util-linux `script`) for an input
/// over 8 MB; none with `--no-progress`, and none when standard error is not a terminal.
#[test]
fn a_progress_bar_only_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let (text, _) = log(90_000, 45_000);
    assert!(text.len() > 8_000_000, "{} bytes", text.len());
    std::fs::write(&path, &text).unwrap();
    let on_terminal = |extra: &str| -> String {
        let typescript = dir.path().join("typescript");
        let command = format!(
            "'{}' scan {extra} '{}' > /dev/null",
            env!("CARGO_BIN_EXE_rdp-doctor"),
            path.display()
        );
        let status = std::process::Command::new("script")
            .args(["-qec", &command])
            .arg(&typescript)
            .env("NO_COLOR", "1")
            .status()
            .expect("util-linux script runs");
        assert!(status.success());
        String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
    };
    let shown = on_terminal("");
    assert!(
        shown.contains("scanning") && shown.contains("MiB"),
        "{shown}"
    );
    assert!(!on_terminal("--no-progress").contains("scanning"));
    let piped = run(&["scan", path.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("scanning"));
}

/// Kerberos pre-authentication failures (4771) are read by their Kerberos failure code: a
/// wrong password (0x18) and a clock out of step (0x25) are two problems; NTLM's 4776 keeps
/// its NTSTATUS.
#[test]
fn kerberos_and_ntlm_failures_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dc.jsonl");
    let line = |id: u32, field: &str, value: &str| {
        serde_json::json!({
            "Event": {
                "System": {
                    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                    "EventID": id, "Level": 0, "Keywords": "0x8010000000000000",
                    "TimeCreated": {"#attributes": {"SystemTime": "2026-11-30T08:00:00.000Z"}},
                    "Channel": "Security", "Computer": "DC01.contoso.test"
                },
                "EventData": {"TargetUserName": "alice", field: value, "IpAddress": "::ffff:192.0.2.10"}
            }
        })
        .to_string()
    };
    let text = [
        line(4771, "Status", "0x18"),
        line(4771, "Status", "0x25"),
        line(4776, "Status", "0xc0000234"),
    ]
    .join("\n");
    std::fs::write(&path, text).unwrap();
    let report = json(&run(&["scan", "--format", "json", path.to_str().unwrap()]));
    let mut ids: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "account-locked-out",
            "clock-skew-kerberos",
            "credentials-did-not-work"
        ]
    );
}
