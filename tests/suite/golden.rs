//! Golden files: the rendered report of the seed paste in every format, byte for byte.
//! Set `UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.

fn golden(name: &str, args: &[&str]) {
    golden_exit(name, args, 0);
}

/// A golden file of a command that exits with `code`.
fn golden_exit(name: &str, args: &[&str], code: i32) {
    let output = super::rdp_doctor_command()
        .current_dir(super::root())
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .expect("rdp-doctor runs");
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert_golden(name, &actual);
}

/// Compares `actual` with tests/golden/`name` (UPDATE_GOLDEN=1 rewrites the file).
pub fn assert_golden(name: &str, actual: &str) {
    let path = super::root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {:?}\n  actual:   {:?}\n(UPDATE_GOLDEN=1 rewrites it)",
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>")
        );
    }
}

fn recording(name: &str) -> String {
    super::fixture(&format!("probes/{name}.json"))
        .display()
        .to_string()
}

fn seed() -> String {
    super::fixture("pastes/seed-0x904-0x7.txt")
        .display()
        .to_string()
}

#[test]
fn seed_paste_as_text() {
    golden(
        "seed.txt",
        &["diagnose", "--width", "100", "--file", &seed()],
    );
}

/// Every candidate in full, steps in the rule's order with their side.
#[test]
fn seed_paste_in_detail_as_text() {
    golden(
        "seed-detail.txt",
        &["diagnose", "--width", "100", "--detail", "--file", &seed()],
    );
}

#[test]
fn seed_paste_as_markdown() {
    golden(
        "seed.md",
        &["diagnose", "--format", "markdown", "--file", &seed()],
    );
}

#[test]
fn seed_paste_in_detail_as_markdown() {
    golden(
        "seed-detail.md",
        &[
            "diagnose",
            "--format",
            "markdown",
            "--detail",
            "--file",
            &seed(),
        ],
    );
}

#[test]
fn seed_paste_as_json() {
    golden(
        "seed.json",
        &["diagnose", "--format", "json", "--file", &seed()],
    );
}

#[test]
fn explain_0x7_in_every_family() {
    golden("explain-0x7.txt", &["explain", "--width", "100", "0x7"]);
}

/// Probe results recorded against the lab's xrdp with an expired certificate, replayed: the
/// certificate rule is confirmed and rises, with the real expiry date in its causes.
#[test]
fn seed_paste_with_recorded_probes_as_text() {
    let replay = recording("xrdp-expired-cert");
    golden(
        "seed-probed.txt",
        &[
            "diagnose",
            "--width",
            "100",
            "--detail",
            "--file",
            &seed(),
            "--replay",
            &replay,
        ],
    );
}

#[test]
fn seed_paste_with_recorded_probes_as_json() {
    let replay = recording("xrdp-expired-cert");
    golden(
        "seed-probed.json",
        &[
            "diagnose",
            "--format",
            "json",
            "--file",
            &seed(),
            "--replay",
            &replay,
        ],
    );
}

/// The health report of FreeRDP's shadow server (NLA required), recorded in the lab.
#[test]
fn health_report_of_an_nla_server_as_markdown() {
    let replay = recording("shadow-nla");
    golden_exit(
        "probe-shadow-nla.md",
        &["probe", "--format", "markdown", "--replay", &replay],
        1,
    );
}

/// The health report of xrdp in rdp mode: no TLS offered, later layers skipped.
#[test]
fn health_report_of_a_server_without_tls_as_text() {
    let replay = recording("xrdp-rdp-only");
    golden_exit(
        "probe-rdp-only.txt",
        &["probe", "--width", "100", "--detail", "--replay", &replay],
        1,
    );
}

/// `probe`'s default: the probes, one line per finding, the first finding's first steps.
#[test]
fn short_health_report_of_a_server_without_tls_as_text() {
    let replay = recording("xrdp-rdp-only");
    golden_exit(
        "probe-rdp-only-short.txt",
        &["probe", "--width", "80", "--replay", &replay],
        1,
    );
}

/// `rules check` on a folder with one of each problem: every problem at once, each with its
/// file, line, column, the offending line and a hint.
#[test]
fn rules_check_of_a_broken_rule_set_as_text() {
    golden_exit(
        "rules-check-broken.txt",
        &["rules", "check", "tests/fixtures/rules/err_everything"],
        3,
    );
}

#[test]
fn rules_check_of_a_broken_rule_set_as_json() {
    golden_exit(
        "rules-check-broken.json",
        &[
            "rules",
            "check",
            "--format",
            "json",
            "tests/fixtures/rules/err_everything",
        ],
        3,
    );
}
