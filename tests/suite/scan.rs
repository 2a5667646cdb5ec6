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
