//! The integration tests of rdp-doctor, in one binary: one module per area.

mod cli;
mod extract;
mod generalisation;
pub mod golden;
mod hostile;
mod knowledge;
mod lab;
mod lab_servers;
mod layers;
mod probes;
mod redact;
mod rules;
mod scan;
mod servers;
mod site;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the rdp-doctor under test with only the knowledge under test (no user
/// folder, no `RDP_DOCTOR_RULES`) and no colours.
pub fn rdp_doctor_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rdp-doctor"));
    command
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", "/nonexistent-config")
        .env_remove("RDP_DOCTOR_RULES");
    command
}

/// The rules and catalog entries a JSON report of `diagnose` ranks, in order.
pub fn ranked(report: &serde_json::Value) -> Vec<String> {
    report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["rule"]
                .as_str()
                .or(d["entry"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

/// What a probe run found, without its timings: what a replay must find again.
pub fn findings(
    results: &[rdp_doctor::probe::ProbeResult],
) -> Vec<(String, rdp_doctor::probe::Status, String, serde_json::Value)> {
    results
        .iter()
        .map(|r| {
            let facts = serde_json::Value::Object(r.facts.clone());
            (r.probe.clone(), r.status, r.summary.clone(), facts)
        })
        .collect()
}

/// A path under tests/fixtures.
pub fn fixture(relative: &str) -> PathBuf {
    root().join("tests/fixtures").join(relative)
}
