//! Hostile inputs: knowledge folders, pastes and files that once hung, exhausted or aborted
//! rdp-doctor, each kept as a regression test that must end quickly with a clear message.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs rdp-doctor with `stdin`, killing it (and failing the test) after `limit`.
fn run_within(limit: Duration, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = super::rdp_doctor_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rdp-doctor starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = pipe.write_all(&bytes);
    });
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("rdp-doctor {args:?} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// `rules check` also ranks every example of every rule: in a debug build, beside other tests on
/// two cores, that takes a minute; a hang is still caught.
const CHECK_LIMIT: Duration = Duration::from_secs(300);

fn problems(output: &Output) -> Vec<(String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap_or_default().to_string(),
                p["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A rule a test can tell apart from the embedded ones.
const TEAM_RULE: &str = "id: team-jump-host-closed
title: Our jump host closes RDP at night
category: other
signatures:
  - { text: \"jump host zebra closed\", weight: 2 }
steps:
  - title: Connect during office hours
    side: client
examples:
  - text: \"jump host zebra closed\"
    source: tests (a made-up team rule)
counter_examples:
  - text: \"Error code: 0x904\"
    source: tests (a made-up team rule)
";

#[test]
fn links_pipes_and_huge_files_in_a_knowledge_folder_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    write(&rules.join("team/team-jump-host-closed.yaml"), TEAM_RULE);
    // Two links back to the folder itself: once made every command walk forever.
    std::os::unix::fs::symlink(".", rules.join("again")).unwrap();
    std::os::unix::fs::symlink("..", rules.join("team/up")).unwrap();
    // A link out of the folder: once walked, and a file's first line quoted in an error.
    std::os::unix::fs::symlink("/etc", rules.join("etc")).unwrap();
    // A pipe named like a rule: once blocked every command forever.
    let fifo = rules.join("x.yaml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // A file past the size limit.
    let big = "# padding\n".repeat(900_000);
    write(&rules.join("big.yaml"), &big);
    let folder = dir.path().to_str().unwrap();

    let check = run_within(
        CHECK_LIMIT,
        &["--rules", folder, "rules", "check", "--format", "json"],
        b"",
    );
    assert_eq!(check.status.code(), Some(3));
    let found = problems(&check);
    let expect = [
        (
            "rules/again",
            "a link to a folder already read (a loop); not followed",
        ),
        (
            "rules/team/up",
            "a link to a folder already read (a loop); not followed",
        ),
        (
            "rules/etc",
            "a link that leads outside the folder; not followed",
        ),
        (
            "rules/x.yaml",
            "not a regular file (a pipe, socket or device); not read",
        ),
        ("rules/big.yaml", "larger than 8 MiB; not read"),
    ];
    for (file, message) in expect {
        assert!(
            found.iter().any(|(f, m)| f.ends_with(file) && m == message),
            "{file}: {message} not in {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        !text.contains("root:"),
        "a file outside the folder was read"
    );

    // The rest of the folder, and the embedded knowledge, still serve.
    let diagnose = run_within(
        Duration::from_secs(30),
        &["--rules", folder, "diagnose", "--format", "json", "-"],
        b"the jump host zebra closed on me; Error code: 0x904",
    );
    assert_eq!(diagnose.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&diagnose.stdout).unwrap();
    let rules: Vec<&str> = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    assert!(rules.contains(&"team-jump-host-closed"), "{rules:?}");
    assert!(
        rules.contains(&"rdp-certificate-expired-or-unreadable"),
        "{rules:?}"
    );
}

#[test]
fn a_link_to_a_file_inside_the_folder_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The link is the rule file; what it points at is not a knowledge file by its own name.
    write(&dir.path().join("shared/jump-host.txt"), TEAM_RULE);
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::os::unix::fs::symlink(
        "../shared/jump-host.txt",
        dir.path().join("rules/team-jump-host-closed.yaml"),
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    let check = run_within(
        CHECK_LIMIT,
        &["--rules", folder, "rules", "check", "--format", "json"],
        b"",
    );
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(problems(&check), []);
    let diagnose = run_within(
        Duration::from_secs(30),
        &["--rules", folder, "diagnose", "--format", "json", "-"],
        b"the jump host zebra closed on me",
    );
    let report: Value = serde_json::from_slice(&diagnose.stdout).unwrap();
    assert_eq!(report["diagnoses"][0]["rule"], "team-jump-host-closed");
}

#[test]
fn deeply_nested_yaml_is_refused_before_parsing() {
    // 100,000 `[` once took the YAML scanner 22 s (its time grows with the square of the depth).
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("id: deep\ntitle: {}\n", "[".repeat(100_000));
    write(&dir.path().join("rules/other/deep.yaml"), &deep);
    let folder = dir.path().to_str().unwrap();
    let output = run_within(
        Duration::from_secs(10),
        &["--rules", folder, "diagnose", "Error code: 0x904"],
        b"",
    );
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "deep.yaml:2:72: lists and maps nested deeper than 64 levels; knowledge files never need more than a few"
        ),
        "{stderr}"
    );
}

/// Two nested loops of 100,000 steps each: a template that would run for hours.
const ENDLESS: &str =
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";

#[test]
fn templates_that_would_never_finish_stop_at_their_budget() {
    let dir = tempfile::tempdir().unwrap();
    let rule = TEAM_RULE.replace(
        "category: other\n",
        &format!("category: other\nsummary: \"{ENDLESS}\"\n"),
    );
    write(&dir.path().join("rules/team-jump-host-closed.yaml"), &rule);
    write(
        &dir.path().join("site/report/diagnosis.md.j2"),
        &format!("{ENDLESS}\n"),
    );
    write(
        &dir.path().join("site/pages/404.html.j2"),
        &format!("{ENDLESS}\n"),
    );
    let folder = dir.path().to_str().unwrap();
    let limit = Duration::from_secs(30);

    // `rules check` says which text cannot finish, where.
    let check = run_within(CHECK_LIMIT, &["--rules", folder, "rules", "check"], b"");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("team-jump-host-closed.yaml:4:10: template `summary` does not finish within its budget (100000 steps, 256 KiB of output)"),
        "{text}"
    );
    assert!(!text.contains("undefined variable `range`"), "{text}");

    // The report shows the text unrendered, with a note, and still ranks the rule.
    let paste = b"the jump host zebra closed";
    let diagnose = run_within(limit, &["--rules", folder, "diagnose", "-"], paste);
    assert_eq!(diagnose.status.code(), Some(0));
    let text = String::from_utf8_lossy(&diagnose.stdout);
    assert!(
        text.contains("rule `team-jump-host-closed` has a template error"),
        "{text}"
    );

    // The Markdown report and the site stop with an error naming the template.
    let markdown = run_within(
        limit,
        &["--rules", folder, "diagnose", "--format", "markdown", "-"],
        paste,
    );
    assert_eq!(markdown.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&markdown.stderr);
    assert!(
        stderr.contains("engine ran out of fuel (in report/diagnosis.md.j2:1)"),
        "{stderr}"
    );
    let out = dir.path().join("out");
    let site = run_within(
        limit,
        &[
            "--rules",
            folder,
            "site",
            "build",
            "--out",
            out.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(site.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&site.stderr);
    assert!(
        stderr.contains("404.html.j2:1: engine ran out of fuel (rendering 404.html)"),
        "{stderr}"
    );
}

/// A recording of the lab's xrdp whose texts carry terminal escapes (set the window title,
/// clear the screen), saved with a byte-order mark as some editors do.
fn hostile_recording(dir: &Path, host: &str) -> String {
    let fixture = super::fixture("probes/xrdp-expired-cert.json");
    let mut recording: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    recording["target"]["host"] = Value::from(host);
    recording["recorded_at"] = Value::from("2026-11-25\u{1b}[31m");
    for result in recording["results"].as_array_mut().unwrap() {
        let summary = format!(
            "{} \u{1b}]0;pwned\u{7}\u{1b}[2J\r<img src=x onerror=alert(1)>",
            result["summary"].as_str().unwrap()
        );
        result["summary"] = Value::from(summary);
    }
    let path = dir.join("recording.json");
    let text = format!(
        "\u{feff}{}",
        serde_json::to_string_pretty(&recording).unwrap()
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn escapes_from_a_recording_are_shown_not_obeyed_and_markdown_shows_markup_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let recording = hostile_recording(dir.path(), "127.0.0.1");
    let limit = Duration::from_secs(30);
    for format in ["text", "markdown"] {
        let output = run_within(
            limit,
            &["probe", "--replay", &recording, "--format", format],
            b"",
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.code().is_some_and(|c| c <= 1), "{stdout}");
        assert!(!stdout.contains('\u{1b}'), "{format}: {stdout}");
        assert!(!stdout.contains('\r'), "{format}: {stdout}");
        // Markdown escapes the backslash of the shown escape too.
        let shown = if format == "text" {
            "\\x1b]0;pwned\\x07"
        } else {
            "\\\\x1b\\]0;pwned\\\\x07"
        };
        assert!(stdout.contains(shown), "{format}: {stdout}");
        if format == "markdown" {
            assert!(!stdout.contains("<img"), "{stdout}");
            assert!(
                stdout.contains("&lt;img src=x onerror=alert(1)&gt;"),
                "{stdout}"
            );
        }
    }
}

#[test]
fn a_host_that_is_no_host_name_is_refused_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let limit = Duration::from_secs(30);
    // In a recording.
    let recording = hostile_recording(dir.path(), "srv<img/src=x/onerror=alert(1)>x");
    let output = run_within(limit, &["probe", "--replay", &recording], b"");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "the recorded target: `srv<img/src=x/onerror=alert(1)>x` is not a host name or address"
        ),
        "{stderr}"
    );
    // On the command line: a huge "host name" is named by its first characters, once.
    let huge = "a".repeat(100 * 1024);
    let output = run_within(limit, &["probe", &huge], b"");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is longer than a host name can be (253 characters)"),
        "{}",
        &stderr[..stderr.len().min(300)]
    );
    assert!(stderr.len() < 1000, "{} bytes of error", stderr.len());
    for bad in ["srv\u{1b}]0;x\u{7}", "srv/01", "-", "a..b"] {
        let output = run_within(limit, &["probe", bad], b"");
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains('\u{1b}'));
    }
}

#[test]
fn markup_in_a_paste_stays_text_in_the_markdown_report() {
    // A rule's regex quotes the words between its anchors: here the markup.
    let paste = b"xrdp-sesman: not in tsusers group <img/src=x/onerror=alert(1)>[click](https://evil.example). Access denied";
    let output = run_within(
        Duration::from_secs(30),
        &["diagnose", "--format", "markdown", "--detail", "-"],
        paste,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("&lt;img/src=x/onerror=alert(1)&gt;"),
        "{stdout}"
    );
    assert!(!stdout.contains("<img"), "{stdout}");
    assert!(!stdout.contains("[click](https"), "{stdout}");
}

#[test]
fn links_left_in_the_site_folder_are_replaced_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    write(&outside.join("index.html"), "not the site's");
    let out = dir.path().join("site");
    std::fs::create_dir_all(&out).unwrap();
    // A link in place of a page and one in place of a folder, both leading out of the site.
    std::os::unix::fs::symlink(outside.join("index.html"), out.join("index.html")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("codes")).unwrap();
    let output = run_within(
        Duration::from_secs(60),
        &["site", "build", "--out", out.to_str().unwrap()],
        b"",
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("index.html")).unwrap(),
        "not the site's"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    for path in [out.join("index.html"), out.join("codes")] {
        let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
        assert!(!kind.is_symlink(), "{} is still a link", path.display());
    }
    assert!(out.join("codes/index.html").is_file());
}

/// Every limit of `engine/limits.rs` is in the README's table of limits.
#[test]
fn every_limit_is_in_the_readme_table() {
    let source = std::fs::read_to_string(super::root().join("engine/limits.rs")).unwrap();
    let readme = std::fs::read_to_string(super::root().join("README.md")).unwrap();
    let table = readme
        .split("## Limits")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Limits section");
    let names: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .filter_map(|rest| rest.split(':').next())
        .collect();
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        assert!(
            table.contains(&format!("`limits::{name}`")),
            "limits::{name} is not in the README's table"
        );
    }
}

#[test]
fn a_rule_regex_too_large_to_compile_is_reported_and_the_rest_serves() {
    let dir = tempfile::tempdir().unwrap();
    // Small to write, far larger than 1 MiB compiled.
    let rule = TEAM_RULE.replace(
        "  - { text: \"jump host zebra closed\", weight: 2 }\n",
        "  - { text: \"jump host zebra closed\", weight: 2 }\n  - { regex: '(\\w{500}){500}zebra', weight: 1 }\n",
    );
    assert!(rule.contains("regex"), "{rule}");
    write(&dir.path().join("rules/team-jump-host-closed.yaml"), &rule);
    let folder = dir.path().to_str().unwrap();
    let check = run_within(CHECK_LIMIT, &["--rules", folder, "rules", "check"], b"");
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(3), "{text}");
    assert!(
        text.contains(
            "team-jump-host-closed.yaml:6:14: regex does not compile: Compiled regex exceeds size limit of 1048576 bytes."
        ),
        "{text}"
    );
    // The embedded knowledge still diagnoses.
    let output = run_within(
        Duration::from_secs(30),
        &[
            "--rules",
            folder,
            "diagnose",
            "--format",
            "json",
            "Error code: 0x904",
        ],
        b"",
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert!(!report["diagnoses"].as_array().unwrap().is_empty());
}

#[test]
fn a_recording_larger_than_the_limit_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // A sparse file: 65 MiB long, nothing written.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(65 * 1024 * 1024).unwrap();
    let output = run_within(
        Duration::from_secs(10),
        &["probe", "--replay", path.to_str().unwrap()],
        b"",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "huge.json: larger than 64 MiB; a recording of one host is a few hundred KiB"
        ),
        "{stderr}"
    );
}

#[test]
fn the_approximate_search_reports_a_bounded_number_of_places_and_tries() {
    use rdp_doctor::limits::{APPROXIMATE_FAILED_TRIES, APPROXIMATE_PLACES};
    use rdp_doctor::search::ApproximatePhrases;
    let phrase = "remote desktop gateway server".to_string();
    let set = ApproximatePhrases::new(std::slice::from_ref(&phrase));
    let places = |text: &str| {
        let mut found = Vec::new();
        set.visit(text, |_, range| found.push(range));
        found
    };
    // More exact occurrences than are reported.
    let many = format!("{phrase}. ").repeat(APPROXIMATE_PLACES + 10);
    assert_eq!(places(&many).len(), APPROXIMATE_PLACES);
    // Past the failed tries (a piece intact, the rest too far off), a typo is no longer
    // looked for, while an exact occurrence still is.
    let misses = "remote desktop xxxxxxxxxxxxxxx. ".repeat(APPROXIMATE_FAILED_TRIES + 1);
    let typo = "remote destop gateway server";
    assert_eq!(places(&format!("{misses}{typo}")).len(), 0);
    assert_eq!(places(&format!("{misses}{phrase}")).len(), 1);
    assert_eq!(places(&format!("no misses before: {typo}")).len(), 1);
}

#[test]
fn a_rule_expression_that_runs_too_long_is_stopped() {
    let result = rdp_doctor::probe::ProbeResult::new("tls", rdp_doctor::probe::Status::Pass, "ok");
    // Searches nested five deep in a list of 20, in closures Rhai counts afresh: 3.2 million
    // steps, which once ran to the end.
    let expression = super::probes::nested_searches(5);
    let error = rdp_doctor::sandbox::evaluate(&expression, &result).unwrap_err();
    assert!(error.contains("more than 100000 operations"), "{error}");
}
