//! Golden files: the rendered report of the seed paste in every format, byte for byte.
//! Set `UPDATE_GOLDEN=1` to rewrite them after an intended change, then review the diff.

use std::process::Command;

fn golden(name: &str, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_rdp-doctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("rdp-doctor runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = String::from_utf8(output.stdout).expect("UTF-8 output");
    let path = super::root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden file is writable");
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

#[test]
fn seed_paste_as_markdown() {
    golden(
        "seed.md",
        &["diagnose", "--format", "markdown", "--file", &seed()],
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
    golden("explain-0x7.txt", &["explain", "0x7"]);
}
