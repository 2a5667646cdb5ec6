//! `--redact`: no host name, address, user, domain or e-mail address of a paste or of a probed
//! host survives in any format, and the diagnosis itself does not change.

use std::process::Output;

use regex::Regex;
use serde_json::Value;

use super::{fixture, rdp_doctor_command};

fn run(args: &[&str]) -> Output {
    let output = rdp_doctor_command().args(args).output().unwrap();
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "rdp-doctor {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The report of `args` in every format: short and detailed text and Markdown, and JSON; a
/// paste goes last, after `--` (a paste may start with a dash).
fn every_format(args: &[&str], paste: Option<&str>) -> Vec<(String, String)> {
    let formats: [&[&str]; 5] = [
        &["--format", "text", "--width", "100"],
        &["--format", "text", "--width", "100", "--detail"],
        &["--format", "markdown"],
        &["--format", "markdown", "--detail"],
        &["--format", "json"],
    ];
    formats
        .iter()
        .map(|format| {
            let mut all: Vec<&str> = args.iter().chain(format.iter()).copied().collect();
            if let Some(paste) = paste {
                all.extend(["--", paste]);
            }
            let out = String::from_utf8(run(&all).stdout).unwrap();
            (format.join(" "), out)
        })
        .collect()
}

/// The rules and catalog entries a JSON report ranks, in order.
fn ranked(json: &str) -> Vec<String> {
    super::ranked(&serde_json::from_str(json).unwrap())
}

/// Fails when any of `originals` (in any letter case) is left in any of `reports`.
fn assert_gone(reports: &[(String, String)], originals: &[String], what: &str) {
    for (format, report) in reports {
        let lower = report.to_lowercase();
        for original in originals {
            assert!(
                !lower.contains(&original.to_lowercase()),
                "{what}: `{original}` survives in {format}:\n{report}"
            );
        }
    }
}

/// A paste made of real line shapes (an event 4625, a FreeRDP command line and log, an
/// xrdp-sesman log, a gateway address), naming every kind of value.
const PASTE: &str = "An account failed to log on.
Account For Which Logon Failed:
\tAccount Name:\t\tjdoe
\tAccount Domain:\t\tCONTOSO
Failure Information:
\tFailure Reason:\t\tUnknown user name or bad password.
\tStatus:\t\t\t0xC000006D
\tSub Status:\t\t0xC000006A
Network Information:
\tWorkstation Name:\tLAPTOP-7QK2
\tSource Network Address:\t203.0.113.45
$ xfreerdp /v:rdsh07.corp.contoso.com:3390 /u:anna.smith@contoso.com /g:rdgw.contoso.com /d:FABRIKAM
[ERROR][com.freerdp.core] - freerdp_set_last_error_ex ERRCONNECT_LOGON_FAILURE [0x00020014]
[INFO ] ++ created session (access granted): username asmith, ip ::ffff:198.51.100.23:52344 - socket: 12
gateway https://rdgw.contoso.com/remoteDesktopGateway/ and 2001:db8:4::17
logged in as CONTOSO\\bwayne
";

/// Every identifying value of [`PASTE`].
const ORIGINALS: &[&str] = &[
    "jdoe",
    "contoso",
    "LAPTOP-7QK2",
    "203.0.113.45",
    "rdsh07",
    "anna.smith",
    "rdgw",
    "FABRIKAM",
    "asmith",
    "198.51.100.23",
    "2001:db8:4::17",
    "bwayne",
];

#[test]
fn no_value_of_the_paste_survives_in_any_format() {
    let originals: Vec<String> = ORIGINALS.iter().map(|s| s.to_string()).collect();
    let plain = every_format(&["diagnose"], Some(PASTE));
    // Without --redact the report quotes the hosts and addresses: the test can fail.
    let quoted: Vec<&String> = originals
        .iter()
        .filter(|o| {
            plain
                .iter()
                .any(|(_, r)| r.to_lowercase().contains(&o.to_lowercase()))
        })
        .collect();
    assert!(
        quoted.len() >= 4,
        "the unredacted report quotes only {quoted:?}"
    );
    let redacted = every_format(&["diagnose", "--redact"], Some(PASTE));
    assert_gone(&redacted, &originals, "the composed paste");
    assert_eq!(
        ranked(&plain[4].1),
        ranked(&redacted[4].1),
        "redacting changed the diagnosis"
    );
    // Stable placeholders: the host the paste names twice is one placeholder everywhere.
    let report: Value = serde_json::from_str(&redacted[4].1).unwrap();
    let hosts: Vec<&str> = report["input"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        hosts
            .iter()
            .all(|h| Regex::new(r"^(host|ip)-\d+(:\d+)?$").unwrap().is_match(h)),
        "{hosts:?}"
    );
    let text = &redacted[1].1;
    for placeholder in [r"\bhost-\d+\b", r"\bip-\d+\b"] {
        assert!(
            Regex::new(placeholder).unwrap().is_match(text),
            "{placeholder} missing:\n{text}"
        );
    }
}

#[test]
fn no_host_address_or_mail_of_a_real_paste_survives() {
    let cases: Value =
        serde_yaml::from_str(&std::fs::read_to_string(fixture("pastes/dev.yaml")).unwrap())
            .unwrap();
    let address = Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").unwrap();
    let mail = Regex::new(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b").unwrap();
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let plain =
            String::from_utf8(run(&["diagnose", "--format", "json", "--", text]).stdout).unwrap();
        let report: Value = serde_json::from_str(&plain).unwrap();
        // What the extraction calls a host, and every address and mail shape of the paste.
        let mut originals: Vec<String> = report["input"]["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_string())
            .collect();
        originals.extend(
            address
                .find_iter(text)
                .map(|m| m.as_str())
                .filter(|a| a.split('.').all(|o| o.parse::<u8>().is_ok()))
                .map(str::to_string),
        );
        originals.extend(mail.find_iter(text).map(|m| m.as_str().to_string()));
        // Hosts as written may carry a port; the name is what must go.
        let mut originals: Vec<String> = originals
            .iter()
            .map(|h| match h.rsplit_once(':') {
                Some((name, port)) if port.parse::<u16>().is_ok() && !name.contains(':') => {
                    name.to_string()
                }
                _ => h.clone(),
            })
            // Loopback addresses and public names are not hidden: they identify nobody. A
            // host named by a plain word (`server`) is hidden where the paste is quoted, but
            // the same word in a rule's own text stays, so only names that cannot be words
            // are looked for in the whole report.
            .filter(|h| {
                let h = h.to_lowercase();
                h.len() >= 4
                    && h.chars()
                        .all(|c| c.is_alphanumeric() || ".-_:[]%".contains(c))
                    && h.contains(|c: char| c.is_ascii_digit() || ".-:".contains(c))
                    && !h.ends_with("microsoft.com")
                    && h != "localhost"
                    && !h.starts_with("127.")
                    && h != "0.0.0.0"
            })
            .collect();
        originals.sort();
        originals.dedup();
        if originals.is_empty() {
            continue;
        }
        let redacted = every_format(&["diagnose", "--redact"], Some(text));
        let id = case["id"].as_str().unwrap();
        assert_gone(&redacted, &originals, id);
        assert_eq!(
            ranked(&plain),
            ranked(&redacted[4].1),
            "{id}: redacting changed the diagnosis"
        );
        checked += 1;
    }
    assert!(
        checked >= 25,
        "only {checked} development pastes name a host, address or mail"
    );
}

#[test]
fn a_probed_host_and_the_names_it_announced_do_not_survive() {
    use super::servers::{self, Answer, Behaviour, Cert};
    // A server requiring NLA whose NTLM challenge names TESTHOST and whose certificate is
    // issued to wrong-host.example.invalid.
    let port = servers::start(Behaviour::Rdp(
        Answer::RequireHybrid,
        Some(servers::tls_config(Cert::WrongName)),
    ));
    let target = format!("127.0.0.1:{port}");
    let originals: Vec<String> = ["TESTHOST", "wrong-host", "example.invalid"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let plain = every_format(&["probe", &target], None);
    let all_plain: String = plain.iter().map(|(_, r)| r.to_lowercase()).collect();
    for original in &originals {
        assert!(
            all_plain.contains(&original.to_lowercase()),
            "{original} is not in the unredacted report"
        );
    }
    let redacted = every_format(&["probe", &target, "--redact"], None);
    assert_gone(&redacted, &originals, "probe");
    let json: Value = serde_json::from_str(&redacted[4].1).unwrap();
    // The loopback address identifies nobody and stays.
    assert_eq!(json["probes"]["target"]["host"], "127.0.0.1");
    let facts = |probe: &str| {
        json["probes"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["probe"] == probe)
            .unwrap()["facts"]
            .clone()
    };
    let nla = facts("nla");
    assert!(
        Regex::new(r"^host-\d+$")
            .unwrap()
            .is_match(nla["server_name"].as_str().unwrap()),
        "{nla}"
    );
    let certificate = facts("tls_certificate");
    assert!(
        Regex::new(r"^CN=host-\d+$")
            .unwrap()
            .is_match(certificate["subject"].as_str().unwrap()),
        "{certificate}"
    );
}
