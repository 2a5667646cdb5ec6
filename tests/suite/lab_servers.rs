//! Probes against REAL RDP servers on loopback, started from the lab beside the checkout
//! (`../shared/lab`): xrdp 0.9 in every security mode and with every kind of certificate, and
//! FreeRDP's shadow server requiring NLA. `tests/run` installs their packages. Set
//! `RDP_DOCTOR_SKIP_LAB=1` only on a machine that cannot run them (they need root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rdp_doctor::catalog::Knowledge;
use rdp_doctor::probe::{Host, ProbeResult, RunOptions, Status, Target, run_probes_blocking};
use serde_json::Value;

/// First port of the lab servers this test starts (one per mode, then the shadow server):
/// below the ephemeral range (32768-60999), so no client socket of another test holds it.
const BASE_PORT: u16 = 24890;

fn lab() -> PathBuf {
    super::root().join("../shared/lab")
}

/// The servers started by this test, stopped when it ends, even when it fails.
struct Lab {
    dir: tempfile::TempDir,
    started: Vec<(&'static str, PathBuf)>,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            dir: tempfile::tempdir().expect("temporary folder"),
            started: Vec::new(),
        }
    }

    fn start(&mut self, script: &'static str, args: &[&str], name: &str) {
        let workdir = self.dir.path().join(name);
        let mut command = Command::new(lab().join(script));
        command.args(args);
        command.arg(&workdir);
        if script == "start-shadow.sh" {
            // PORT WORKDIR SEC
            command = Command::new(lab().join(script));
            command.arg(args[0]).arg(&workdir).arg(args[1]);
        }
        let output = command.output().expect("lab script runs");
        let stop = if script == "start-xrdp.sh" {
            "stop-xrdp.sh"
        } else {
            "stop-shadow.sh"
        };
        self.started.push((stop, workdir));
        assert!(
            output.status.success(),
            "{script} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (stop, workdir) in &self.started {
            let _ = Command::new(lab().join(stop))
                .arg(workdir)
                .arg("--purge")
                .output();
        }
    }
}

fn lab_available() -> bool {
    if std::env::var_os("RDP_DOCTOR_SKIP_LAB").is_some() {
        eprintln!("RDP_DOCTOR_SKIP_LAB is set: the real-server probe tests do not run");
        return false;
    }
    assert!(
        lab().join("start-xrdp.sh").exists(),
        "the lab is missing at {}",
        lab().display()
    );
    for program in [
        "/usr/sbin/xrdp",
        "/usr/bin/freerdp-shadow-cli",
        "/usr/bin/Xvfb",
    ] {
        assert!(
            Path::new(program).exists(),
            "{program} is missing: run tests/run, which installs the lab's packages"
        );
    }
    true
}

fn probe(host: &str, port: u16) -> Vec<ProbeResult> {
    let knowledge = Knowledge::embedded();
    let target = Target {
        host: host.into(),
        port,
        gateway: None,
    };
    let scripts = Arc::new(knowledge.probes.clone());
    let live = Host::live();
    let results = run_probes_blocking(scripts.clone(), &target, &RunOptions::default(), &live)
        .expect("runtime");
    // The host calls written down replay offline: the scripts run again on them and find the
    // same, whatever the server does meanwhile.
    let calls = live.journal();
    assert!(!calls.is_empty(), "the live run made no host call");
    let replay = Host::replay(calls);
    let replayed =
        run_probes_blocking(scripts, &target, &RunOptions::default(), &replay).expect("runtime");
    assert_eq!(
        super::findings(&replayed),
        super::findings(&results),
        "{host}:{port} replayed"
    );
    results
}

fn find<'a>(results: &'a [ProbeResult], name: &str) -> &'a ProbeResult {
    results.iter().find(|r| r.probe == name).expect("probe ran")
}

fn fact(result: &ProbeResult, name: &str) -> Value {
    result.facts.get(name).cloned().unwrap_or(Value::Null)
}

#[test]
fn real_xrdp_and_freerdp_shadow_servers_are_reported_correctly() {
    if !lab_available() {
        return;
    }
    let modes = [
        "valid-cert",
        "expired-cert",
        "wrong-name-cert",
        "rdp-only",
        "tls-only",
        "not-yet-valid-cert",
    ];
    let mut lab = Lab::new();
    for (i, mode) in modes.iter().enumerate() {
        let port = (BASE_PORT + i as u16).to_string();
        lab.start("start-xrdp.sh", &[mode, &port], mode);
    }
    let shadow_port = BASE_PORT + 10;
    lab.start(
        "start-shadow.sh",
        &[&shadow_port.to_string(), "nla"],
        "shadow",
    );
    let port = |mode: &str| BASE_PORT + modes.iter().position(|m| *m == mode).unwrap() as u16;

    // valid-cert: TLS selected, a self-signed certificate that names the host, no NLA.
    let valid = probe("127.0.0.1", port("valid-cert"));
    let negotiation = find(&valid, "security_negotiation");
    assert_eq!(negotiation.status, Status::Pass, "{negotiation:#?}");
    assert_eq!(fact(negotiation, "selected_name"), "PROTOCOL_SSL");
    let tls = find(&valid, "tls_certificate");
    assert_eq!(tls.status, Status::Fail);
    assert_eq!(fact(tls, "self_signed"), true);
    assert_eq!(fact(tls, "expired"), false);
    assert_eq!(fact(tls, "name_matches"), true);
    assert!((360..=365).contains(&fact(tls, "days_left").as_i64().unwrap()));
    assert!(
        tls.summary.contains("self-signed (CN=localhost)"),
        "{}",
        tls.summary
    );
    let nla = find(&valid, "nla");
    assert_eq!(nla.status, Status::Fail);
    assert!(
        nla.summary.starts_with("NLA not offered"),
        "{}",
        nla.summary
    );
    // By name: localhost resolves, and the certificate's DNS name matches it.
    let by_name = probe("localhost", port("valid-cert"));
    assert_eq!(find(&by_name, "dns").status, Status::Pass);
    assert_eq!(
        fact(find(&by_name, "tls_certificate"), "name_matches"),
        true
    );

    let expired = probe("127.0.0.1", port("expired-cert"));
    let tls = find(&expired, "tls_certificate");
    assert_eq!(fact(tls, "expired"), true);
    assert_eq!(fact(tls, "not_after"), "2021-01-01T00:00:00Z");
    assert!(tls.summary.contains("expired "), "{}", tls.summary);

    let wrong = probe("127.0.0.1", port("wrong-name-cert"));
    let tls = find(&wrong, "tls_certificate");
    assert_eq!(fact(tls, "name_mismatch"), true);
    assert!(
        tls.summary
            .contains("issued to wrong-host.rdplab.invalid, not to 127.0.0.1"),
        "{}",
        tls.summary
    );

    let not_yet = probe("127.0.0.1", port("not-yet-valid-cert"));
    let tls = find(&not_yet, "tls_certificate");
    assert_eq!(fact(tls, "not_yet_valid"), true);
    assert!(
        tls.summary.contains("not valid until 2090-01-01"),
        "{}",
        tls.summary
    );

    // rdp-only: xrdp answers PROTOCOL_RDP although TLS was asked, with no failure PDU.
    let rdp_only = probe("127.0.0.1", port("rdp-only"));
    let negotiation = find(&rdp_only, "security_negotiation");
    assert_eq!(negotiation.status, Status::Fail);
    assert!(
        negotiation.summary.starts_with("no TLS offered"),
        "{}",
        negotiation.summary
    );
    assert_eq!(fact(negotiation, "selected_name"), "PROTOCOL_RDP");
    assert_eq!(find(&rdp_only, "tls_certificate").status, Status::Skipped);

    // tls-only: a request for standard RDP security gets SSL_REQUIRED_BY_SERVER.
    let tls_only = probe("127.0.0.1", port("tls-only"));
    let negotiation = find(&tls_only, "security_negotiation");
    assert_eq!(negotiation.status, Status::Pass);
    assert_eq!(fact(negotiation, "requires_tls"), true);
    assert!(
        negotiation.summary.contains("SSL_REQUIRED_BY_SERVER"),
        "{}",
        negotiation.summary
    );

    // The shadow server requires NLA.
    let shadow = probe("127.0.0.1", shadow_port);
    let negotiation = find(&shadow, "security_negotiation");
    assert_eq!(fact(negotiation, "selected_name"), "PROTOCOL_HYBRID");
    let nla = find(&shadow, "nla");
    assert_eq!(nla.status, Status::Pass);
    assert_eq!(fact(nla, "requires_nla"), true);
    assert!(
        nla.summary.contains("HYBRID_REQUIRED_BY_SERVER"),
        "{}",
        nla.summary
    );
    // Its CredSSP answers the first message (no credentials) with an NTLM challenge.
    assert_eq!(fact(nla, "credssp_answers"), true, "{nla:#?}");
    assert!(
        nla.summary
            .contains("CredSSP answers with an NTLM challenge"),
        "{}",
        nla.summary
    );
    assert_eq!(find(&shadow, "tls_certificate").status, Status::Fail);

    // A port with no server.
    let closed = probe("127.0.0.1", BASE_PORT + 9);
    let reach = find(&closed, "reachability");
    assert_eq!(reach.status, Status::Fail);
    assert!(reach.summary.contains("connection refused"));

    // The command line against a real server: the health report, recorded and replayed.
    let record = lab.dir.path().join("expired.json");
    let target = format!("127.0.0.1:{}", port("expired-cert"));
    let live = super::rdp_doctor_command()
        .args(["probe", &target, "--format", "json", "--record"])
        .arg(&record)
        .output()
        .expect("rdp-doctor runs");
    assert_eq!(live.status.code(), Some(1), "a failing probe exits 1");
    let live: Value = serde_json::from_slice(&live.stdout).expect("JSON");
    let rules: Vec<&str> = live["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"rdp-certificate-expired-or-unreadable"),
        "{rules:?}"
    );
    let replayed = super::rdp_doctor_command()
        .args(["probe", "--format", "json", "--replay"])
        .arg(&record)
        .output()
        .expect("rdp-doctor runs");
    let replayed: Value = serde_json::from_slice(&replayed.stdout).expect("JSON");
    assert_eq!(replayed["diagnoses"], live["diagnoses"]);
    assert_eq!(
        replayed["probes"]["results"], live["probes"]["results"],
        "the replay shows what was recorded"
    );
}
