//! Probes against in-process servers on 127.0.0.1: every certificate condition, every
//! negotiation answer, hostile servers and hostile scripts, the gateway check, and how probe
//! verdicts re-rank rules.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rdp_doctor::catalog::{Knowledge, Origin};
use rdp_doctor::extract::Extractor;
use rdp_doctor::matcher::Matcher;
use rdp_doctor::probe::net::Limits;
use rdp_doctor::probe::{
    Host, ProbeResult, ProbeScript, Recording, RunOptions, Status, Target, rerank,
    run_probes_blocking,
};
use serde_json::Value;

use super::servers::{self, Answer, Behaviour, Cert};

fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    KNOWLEDGE.get_or_init(Knowledge::embedded)
}

/// Short budgets, so hostile cases end quickly: 1 s per call, 4 s per probe.
fn quick() -> RunOptions {
    RunOptions {
        budget: Duration::from_secs(4),
        call: Limits {
            timeout: Duration::from_secs(1),
            ..Limits::default()
        },
        ..RunOptions::default()
    }
}

fn target(port: u16) -> Target {
    Target {
        host: "127.0.0.1".into(),
        port,
        gateway: None,
    }
}

fn probe_all(target: &Target) -> Vec<ProbeResult> {
    let scripts = Arc::new(knowledge().probes.clone());
    run_probes_blocking(scripts, target, &quick(), &Host::live()).expect("runtime")
}

fn find<'a>(results: &'a [ProbeResult], name: &str) -> &'a ProbeResult {
    results
        .iter()
        .find(|r| r.probe == name)
        .unwrap_or_else(|| panic!("no result of {name}: {results:#?}"))
}

fn fact<'a>(result: &'a ProbeResult, name: &str) -> &'a Value {
    result
        .facts
        .get(name)
        .unwrap_or_else(|| panic!("{} has no fact {name}: {:#?}", result.probe, result.facts))
}

fn rdp_with(kind: Cert) -> u16 {
    servers::start(Behaviour::Rdp(
        Answer::SslWhenAsked,
        Some(servers::tls_config(kind)),
    ))
}

#[test]
fn every_certificate_condition_is_named() {
    let cases = [
        (
            Cert::Valid,
            "not_trusted",
            "issued by CN=rdp-doctor test authority, which this system does not trust",
        ),
        (
            Cert::SelfSigned,
            "self_signed",
            "self-signed (CN=localhost)",
        ),
        (Cert::Expired, "expired", "expired "),
        (
            Cert::NotYetValid,
            "not_yet_valid",
            "not valid until 2090-01-01T00:00:00Z",
        ),
        (
            Cert::WrongName,
            "name_mismatch",
            "issued to wrong-host.example.invalid, not to 127.0.0.1",
        ),
        (
            Cert::NoServerAuth,
            "missing_server_auth_eku",
            "no Server Authentication usage (EKU: clientAuth)",
        ),
    ];
    for (kind, flag, words) in cases {
        let results = probe_all(&target(rdp_with(kind)));
        let tls = find(&results, "tls_certificate");
        assert_eq!(tls.status, Status::Fail, "{kind:?}: {tls:#?}");
        assert!(tls.summary.contains(words), "{kind:?}: {}", tls.summary);
        assert_eq!(fact(tls, "tls_version"), "TLSv1_3", "{kind:?}");
        if flag == "not_trusted" {
            assert_eq!(fact(tls, "trusted"), false);
            assert_eq!(fact(tls, "trust_reason"), "unknown_issuer");
        } else {
            assert_eq!(fact(tls, flag), true, "{kind:?}: {:#?}", tls.facts);
        }
        // Only the condition of this certificate is reported.
        for other in [
            "expired",
            "not_yet_valid",
            "name_mismatch",
            "missing_server_auth_eku",
        ] {
            if other != flag {
                assert_eq!(fact(tls, other), false, "{kind:?} also reports {other}");
            }
        }
        assert_eq!(fact(tls, "self_signed"), kind == Cert::SelfSigned);
        assert_eq!(find(&results, "security_negotiation").status, Status::Pass);
    }
    let expired = probe_all(&target(rdp_with(Cert::Expired)));
    let tls = find(&expired, "tls_certificate");
    assert_eq!(fact(tls, "not_after"), "2021-01-01T00:00:00Z");
    assert!(fact(tls, "days_left").as_i64().unwrap() < -1500);
}

#[test]
fn every_negotiation_answer_is_named() {
    let hybrid = servers::start(Behaviour::Rdp(
        Answer::RequireHybrid,
        Some(servers::tls_config(Cert::SelfSigned)),
    ));
    let results = probe_all(&target(hybrid));
    let nla = find(&results, "nla");
    assert_eq!(nla.status, Status::Pass);
    assert!(
        nla.summary.contains("HYBRID_REQUIRED_BY_SERVER"),
        "{}",
        nla.summary
    );
    assert_eq!(fact(nla, "requires_nla"), true);
    assert_eq!(fact(nla, "credssp_answers"), true);
    assert_eq!(fact(nla, "server_name"), "TESTHOST");
    assert_eq!(fact(nla, "server_os_version"), "10.0.20284");
    assert!(
        nla.summary.ends_with(
            "CredSSP answers with an NTLM challenge (server TESTHOST, version 10.0.20284)"
        ),
        "{}",
        nla.summary
    );
    let negotiation = find(&results, "security_negotiation");
    assert_eq!(fact(negotiation, "selected_name"), "PROTOCOL_HYBRID");

    let rdp_only = probe_all(&target(servers::start(Behaviour::Rdp(
        Answer::Select(0),
        None,
    ))));
    let negotiation = find(&rdp_only, "security_negotiation");
    assert_eq!(negotiation.status, Status::Fail);
    assert!(
        negotiation.summary.starts_with("no TLS offered"),
        "{}",
        negotiation.summary
    );
    assert_eq!(fact(negotiation, "no_tls"), true);
    assert_eq!(find(&rdp_only, "tls_certificate").status, Status::Skipped);
    assert_eq!(find(&rdp_only, "nla").status, Status::Skipped);

    let legacy = probe_all(&target(servers::start(Behaviour::Rdp(
        Answer::Legacy,
        None,
    ))));
    let negotiation = find(&legacy, "security_negotiation");
    assert!(
        negotiation.summary.contains("older than RDP 5.2"),
        "{}",
        negotiation.summary
    );
    assert_eq!(fact(negotiation, "legacy_server"), true);

    let no_cert = probe_all(&target(servers::start(Behaviour::Rdp(
        Answer::Fail(3),
        None,
    ))));
    let negotiation = find(&no_cert, "security_negotiation");
    assert!(
        negotiation.summary.contains("SSL_CERT_NOT_ON_SERVER"),
        "{}",
        negotiation.summary
    );
    assert_eq!(fact(negotiation, "cert_not_on_server"), true);
}

#[test]
fn a_server_with_only_tls_1_0_is_a_finding() {
    let results = probe_all(&target(servers::start(Behaviour::Tls10Only)));
    let tls = find(&results, "tls_certificate");
    assert_eq!(tls.status, Status::Fail, "{tls:#?}");
    assert_eq!(fact(tls, "legacy_tls_only"), true);
    assert!(
        tls.summary.contains("only TLS 1.0 or 1.1"),
        "{}",
        tls.summary
    );
}

#[test]
fn hostile_servers_give_clear_findings_within_the_budget() {
    let cases = [
        (
            Behaviour::Garbage,
            "security_negotiation",
            "bytes that are not TPKT",
        ),
        (
            Behaviour::Silent,
            "security_negotiation",
            "never answered the RDP negotiation",
        ),
        (Behaviour::Drip, "security_negotiation", "bytes received"),
        (
            Behaviour::CloseAtOnce,
            "security_negotiation",
            // The close may reach the client before or after its request was sent.
            "closed the connection|reset the connection",
        ),
        (Behaviour::Flood, "tls_certificate", "no certificate from"),
    ];
    for (behaviour, probe, words) in cases {
        let port = servers::start(behaviour);
        let start = Instant::now();
        let results = probe_all(&target(port));
        let elapsed = start.elapsed();
        let result = find(&results, probe);
        assert_eq!(result.status, Status::Fail, "{result:#?}");
        assert!(
            words.split('|').any(|w| result.summary.contains(w)),
            "{probe}: {}",
            result.summary
        );
        // Layers run one after the other: name, TCP and each failing call end within the 1 s
        // call limit, and no layer outlives its 4 s budget.
        assert!(
            elapsed < Duration::from_secs(12),
            "{probe} took {elapsed:?}"
        );
        assert_eq!(find(&results, "reachability").status, Status::Pass);
    }
    let refused = probe_all(&target(servers::closed_port()));
    let reach = find(&refused, "reachability");
    assert_eq!(reach.status, Status::Fail);
    assert!(
        reach.summary.contains("connection refused"),
        "{}",
        reach.summary
    );
    assert_eq!(fact(reach, "refused"), true);
    for later in ["security_negotiation", "tls_certificate", "nla"] {
        let result = find(&refused, later);
        assert_eq!(result.status, Status::Skipped);
        assert_eq!(result.summary, "skipped: `reachability` did not pass");
    }
}

#[test]
fn the_flood_is_cut_off_after_a_bounded_read() {
    let port = servers::start(Behaviour::Flood);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let start = Instant::now();
    let outcome = runtime.block_on(rdp_doctor::probe::net::tls_certificate(
        "127.0.0.1",
        port,
        rdp_doctor::probe::net::DEFAULT_REQUEST,
        Limits {
            timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
        },
    ));
    let error = outcome.expect_err("a flood is not a certificate");
    assert!(
        ["too_large", "garbage", "tls"].contains(&error.kind.as_str()),
        "{error:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

/// Searches of a list of 20 nested `depth` deep: 20^depth steps, in closures.
pub fn nested_searches(depth: usize) -> String {
    let list = format!("[{}]", vec!["0"; 20].join(", "));
    let mut expression = format!("v{} > 0", depth - 1);
    for level in (0..depth - 1).rev() {
        expression = format!("{list}.index_of(|v{}| {expression}) >= 0", level + 1);
    }
    format!("{list}.index_of(|v0| {expression}) >= 0")
}

fn script(name: &str, source: &str) -> ProbeScript {
    ProbeScript::new(
        name,
        source.to_string(),
        Origin::Embedded(format!("probes/{name}.rhai")),
        false,
    )
}

#[test]
fn hostile_scripts_are_stopped_and_the_others_still_run() {
    let port = rdp_with(Cert::SelfSigned);
    let silent = servers::start(Behaviour::Silent);
    let mut scripts = vec![
        script("spin", "loop { }"),
        script("huge", "let s = \"x\"; loop { s += s; }"),
        script("deep", "fn dive(n) { dive(n + 1) } dive(0)"),
        script("files", "open(\"/etc/passwd\")"),
        script("outside", "http_get(\"http://127.0.0.1/\")"),
        script("escape", "import \"../../etc/passwd\" as p; 1"),
        script("evaluate", "eval(\"1 + 1\")"),
        script("shape", "42"),
        script("pile", "let a = []; loop { a.push(1); }"),
        // Closures inside closures, which Rhai counts afresh each: 20^6 steps.
        script("nested", &nested_searches(6)),
        script(
            "sleepy",
            &format!("loop {{ rdp_negotiate(\"127.0.0.1\", {silent}); }}"),
        ),
    ];
    scripts.push(knowledge().probe("reachability").unwrap().clone());
    scripts.push(knowledge().probe("dns").unwrap().clone());
    // Libraries whose imports lead back to themselves, directly or through another.
    for (name, source) in [
        ("selfish", "import \"selfish\" as s; fn f() { 1 }"),
        ("ping", "import \"pong\" as p; fn f() { 1 }"),
        ("pong", "import \"ping\" as p; fn f() { 1 }"),
    ] {
        let mut library = script(name, source);
        library.library = true;
        scripts.push(library);
    }
    // A script that tries to reach another machine than the target (here another loopback
    // address, listening).
    let elsewhere = std::net::TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    elsewhere.set_nonblocking(true).unwrap();
    let elsewhere_port = elsewhere.local_addr().unwrap().port();
    scripts.push(script(
        "elsewhere",
        &format!("tcp_connect(\"::1\", {elsewhere_port})"),
    ));
    scripts.push(script("lookup", "resolve(\"example.com\")"));
    scripts.push(script(
        "web",
        "https_probe(\"https://127.0.0.2/remoteDesktopGateway/\")",
    ));
    // A chain of libraries one deeper than imports may nest: chain0 imports chain1 ...
    for depth in 0..=8 {
        let source = if depth < 8 {
            format!("import \"chain{}\" as c; fn f() {{ 1 }}", depth + 1)
        } else {
            "fn f() { 1 }".to_string()
        };
        let mut library = script(&format!("chain{depth}"), &source);
        library.library = true;
        scripts.push(library);
    }
    scripts.push(script("chained", "import \"chain0\" as c; #{}"));
    scripts.push(script("selfimport", "import \"selfish\" as s; #{}"));
    scripts.push(script("mutual", "import \"ping\" as p; #{}"));
    let options = RunOptions {
        budget: Duration::from_secs(2),
        ..quick()
    };
    let start = Instant::now();
    let results =
        run_probes_blocking(Arc::new(scripts), &target(port), &options, &Host::live()).unwrap();
    let elapsed = start.elapsed();
    let expect = [
        ("spin", "operations"),
        ("huge", "grew past the sandbox limit"),
        ("deep", "calls nested deeper than 32 levels"),
        ("files", "`open` is not available to probes"),
        ("outside", "`http_get` is not available to probes"),
        ("escape", "cannot import"),
        ("evaluate", "'eval' is disabled"),
        ("shape", "the probe script returned `i64`"),
        ("pile", "array/BLOB grew past the sandbox limit"),
        // Its operations or, in a slow debug build, its time: stopped either way.
        ("nested", "the probe script stopped: it ran "),
        ("sleepy", "time budget of 2 s"),
        (
            "selfimport",
            "import cycle or imports nested deeper than 8: selfish -> selfish",
        ),
        (
            "chained",
            "import cycle or imports nested deeper than 8: chain0 -> chain1",
        ),
        (
            "mutual",
            "import cycle or imports nested deeper than 8: ping -> pong -> ping",
        ),
        (
            "elsewhere",
            "`::1` is neither the target (127.0.0.1) nor its gateway: probes reach only the host being checked",
        ),
        ("lookup", "`example.com` is neither the target (127.0.0.1)"),
        ("web", "`127.0.0.2` is neither the target (127.0.0.1)"),
    ];
    for (name, words) in expect {
        let result = find(&results, name);
        assert_eq!(result.status, Status::Error, "{result:#?}");
        assert!(result.summary.contains(words), "{name}: {}", result.summary);
    }
    assert_eq!(find(&results, "reachability").status, Status::Pass);
    assert!(
        elsewhere.accept().is_err(),
        "a script reached another address than the target"
    );
    // Hostile scripts run side by side: the run takes about one budget, not the sum of them.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[test]
fn the_gateway_probe_reads_the_answer_and_the_certificate() {
    let gateway = |status: u16, kind: Cert| {
        let port = servers::start(Behaviour::Https(status, servers::tls_config(kind)));
        let mut target = target(servers::closed_port());
        target.gateway = Some(format!("https://127.0.0.1:{port}"));
        let results = probe_all(&target);
        find(&results, "gateway").clone()
    };
    let healthy = gateway(401, Cert::SelfSigned);
    assert!(
        healthy
            .summary
            .contains("HTTP 401, asking for Negotiate, NTLM, Basic"),
        "{}",
        healthy.summary
    );
    assert_eq!(fact(&healthy, "gateway_answers"), true);
    let wrong = gateway(404, Cert::SelfSigned);
    assert_eq!(wrong.status, Status::Fail);
    assert!(
        wrong.summary.contains("not an RD Gateway endpoint"),
        "{}",
        wrong.summary
    );
    let expired = gateway(401, Cert::Expired);
    assert_eq!(expired.status, Status::Fail);
    assert_eq!(fact(&expired, "expired"), true);
    let mut none = target(servers::closed_port());
    none.gateway = Some(format!("https://127.0.0.1:{}", servers::closed_port()));
    let results = probe_all(&none);
    assert!(
        find(&results, "gateway")
            .summary
            .contains("connection refused")
    );
    let skipped = probe_all(&target(servers::closed_port()));
    assert_eq!(find(&skipped, "gateway").status, Status::Skipped);
}

#[test]
fn probe_verdicts_raise_confirmed_rules_and_lower_refuted_ones() {
    let knowledge = knowledge();
    let paste = std::fs::read_to_string(super::fixture("pastes/seed-0x904-0x7.txt")).unwrap();
    let extraction = Extractor::new(knowledge).extract(&paste);
    let ranked = Matcher::new(knowledge).rank(&extraction, &paste);
    let score_of = |candidates: &[rdp_doctor::matcher::Candidate], id: &str| {
        candidates
            .iter()
            .find(|c| knowledge.rules[c.rule].id == id)
            .map(|c| c.raw)
    };
    let expired_rule = "rdp-certificate-expired-or-unreadable";
    let before = score_of(&ranked, expired_rule).expect("the seed paste names the expired rule");

    let expired = probe_all(&target(rdp_with(Cert::Expired)));
    let (confirmed, notices) = rerank(knowledge, ranked.clone(), &expired);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(knowledge.rules[confirmed[0].rule].id, expired_rule);
    assert!(score_of(&confirmed, expired_rule).unwrap() > before);
    let verdict = &confirmed[0].probes[0];
    assert_eq!(
        (verdict.probe.as_str(), verdict.verdict),
        ("tls_certificate", "confirmed")
    );

    let valid = probe_all(&target(rdp_with(Cert::Valid)));
    let (refuted, _) = rerank(knowledge, ranked.clone(), &valid);
    assert!(score_of(&refuted, expired_rule).unwrap() < before);
    assert_ne!(knowledge.rules[refuted[0].rule].id, expired_rule);

    // A port that answers HTTPS or garbage, not RDP: the probes stop before learning the facts
    // some rules ask about; those rules are inconclusive, with no note about missing facts.
    for behaviour in [
        Behaviour::Https(200, servers::tls_config(Cert::Valid)),
        Behaviour::Garbage,
    ] {
        let results = probe_all(&target(servers::start(behaviour)));
        let (_, notices) = rerank(knowledge, ranked.clone(), &results);
        assert!(notices.is_empty(), "{notices:?}");
    }

    // A port nobody listens on: the network rules join the list although the paste did not
    // name them (below the causes the paste names), and no certificate rule is confirmed.
    let closed = probe_all(&target(servers::closed_port()));
    let (network, _) = rerank(knowledge, ranked, &closed);
    let confirmed: Vec<&str> = network
        .iter()
        .filter(|c| c.probes.iter().any(|v| v.verdict == "confirmed"))
        .map(|c| knowledge.rules[c.rule].id.as_str())
        .collect();
    assert!(
        confirmed.contains(&"rdp-service-or-listener-stopped"),
        "{confirmed:?}"
    );
    // A refused port is what a stopped listener or a service that cannot start looks like;
    // it says nothing about certificates.
    assert!(
        confirmed.iter().all(|id| matches!(
            knowledge.rule(id).unwrap().category.as_str(),
            "network_unreachable" | "server_resource"
        )),
        "{confirmed:?}"
    );
}

#[test]
fn ipv6_loopback_expiry_soon_weak_keys_and_sha1_are_reported() {
    let port = servers::start_on(
        std::net::Ipv6Addr::LOCALHOST.into(),
        Behaviour::Rdp(
            Answer::SslWhenAsked,
            Some(servers::tls_config(Cert::ExpiresSoon)),
        ),
    );
    let target = Target::parse(&format!("[::1]:{port}")).unwrap();
    assert_eq!(target.display(), format!("[::1]:{port}"));
    let results = probe_all(&target);
    let tls = find(&results, "tls_certificate");
    assert_eq!(fact(tls, "name_matches"), true, "{tls:#?}");
    assert_eq!(fact(tls, "expires_soon"), true);
    assert!(
        tls.summary.contains("expires in 9 days") || tls.summary.contains("expires in 10 days"),
        "{}",
        tls.summary
    );
    let negotiation = find(&results, "security_negotiation");
    assert_eq!(
        *fact(negotiation, "flag_names"),
        serde_json::json!(["EXTENDED_CLIENT_DATA_SUPPORTED"])
    );

    // An old certificate: RSA 1024 bits, signed with SHA-1 (made by openssl, which rcgen
    // refuses to do).
    let dir = tempfile::tempdir().unwrap();
    let der = dir.path().join("old.der");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=old-server", "-outform", "DER", "-keyout"])
        .arg(dir.path().join("old.key"))
        .arg("-out")
        .arg(&der)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let facts = rdp_doctor::probe::x509::CertificateFacts::from_der(
        &std::fs::read(&der).unwrap(),
        "old-server",
    );
    assert_eq!(
        (facts.key_algorithm.as_str(), facts.key_bits),
        ("RSA", 1024)
    );
    assert!(facts.weak_key && facts.weak_signature, "{facts:#?}");
    assert_eq!(facts.signature_algorithm, "sha1WithRSAEncryption");
    assert!(facts.self_signed && facts.name_matches && facts.server_auth_eku);
    assert_eq!(facts.sha1_thumbprint.len(), 40);
}

/// A recording holds what the host API answered, so a replay runs the scripts of the moment
/// again, offline: the embedded probes find what they found live, a changed script makes a
/// new finding from the same answers, and a call the recording never saw is reported.
#[test]
fn a_replay_runs_the_current_scripts_on_the_recorded_answers() {
    let port = rdp_with(Cert::Expired);
    let scripts = Arc::new(knowledge().probes.clone());
    let live = Host::live();
    let results = run_probes_blocking(scripts.clone(), &target(port), &quick(), &live).unwrap();
    assert_eq!(find(&results, "tls_certificate").status, Status::Fail);
    let recording = Recording::new(&target(port), &results, live.journal());
    let json = serde_json::to_string(&recording).unwrap();
    let recording: Recording = serde_json::from_str(&json).unwrap();
    assert_eq!(recording.version, 2);
    assert!(
        recording
            .calls
            .iter()
            .any(|c| c.function == "tls_certificate")
    );

    let replayed = recording.replay(scripts, &quick()).unwrap();
    assert_eq!(super::findings(&replayed), super::findings(&results));

    let changed = vec![script(
        "reachability",
        r#"let c = tcp_connect(target.host, target.port);
           let other = tcp_connect(target.host, 1);
           #{ status: "pass", summary: `again: ${c.ok}, elsewhere: ${other.error}` }"#,
    )];
    let replayed = recording.replay(Arc::new(changed), &quick()).unwrap();
    assert_eq!(replayed[0].summary, "again: true, elsewhere: not_recorded");
}

#[test]
fn more_scripts_than_run_at_once_wait_for_a_thread_and_all_finish() {
    let count = rdp_doctor::limits::PROBE_SCRIPTS_AT_ONCE + 16;
    let scripts: Vec<ProbeScript> = (0..count)
        .map(|i| {
            script(
                &format!("waiting{i}"),
                "let n = 0; while n < 20000 { n += 1; } #{ status: \"pass\", summary: \"counted\" }",
            )
        })
        .collect();
    let results =
        run_probes_blocking(Arc::new(scripts), &target(9), &quick(), &Host::live()).unwrap();
    assert_eq!(results.len(), count);
    for result in &results {
        assert_eq!(result.status, Status::Pass, "{result:#?}");
    }
}

/// A name the resolver says does not exist and a resolver that does not work are two causes
/// with two fixes: the dns probe tells them apart, so its findings are ordered by what the
/// resolver said, not by rule id (`dns-resolution-system-error` sorts first by name).
#[test]
fn a_name_that_does_not_exist_is_not_a_broken_resolver() {
    let knowledge = knowledge();
    let scripts = Arc::new(knowledge.probes.clone());
    let name = "nohost.corp.example";
    let findings = |error: &str, message: &str| {
        let answer = serde_json::json!({ "ok": false, "error": error, "message": message });
        let calls = vec![rdp_doctor::probe::host::HostCall {
            probe: "dns".into(),
            function: "resolve".into(),
            args: vec![Value::from(name)],
            answer,
        }];
        let target = Target {
            host: name.into(),
            port: 3389,
            gateway: None,
        };
        let results =
            run_probes_blocking(scripts.clone(), &target, &quick(), &Host::replay(calls)).unwrap();
        assert_eq!(find(&results, "dns").status, Status::Fail);
        let (ranked, notices) = rerank(knowledge, Vec::new(), &results);
        assert!(notices.is_empty(), "{notices:?}");
        ranked
            .iter()
            .map(|c| knowledge.rules[c.rule].id.clone())
            .collect::<Vec<_>>()
    };
    let missing = findings(
        "name_not_found",
        "the name `nohost.corp.example` does not resolve (failed to lookup address information: Name or service not known)",
    );
    assert_eq!(
        missing.first().map(String::as_str),
        Some("host-name-not-found"),
        "{missing:?}"
    );
    assert!(
        !missing.iter().any(|id| id == "dns-resolution-system-error"),
        "{missing:?}"
    );
    let broken = findings(
        "resolve",
        "the name `nohost.corp.example` does not resolve (failed to lookup address information: Temporary failure in name resolution)",
    );
    assert_eq!(
        broken.first().map(String::as_str),
        Some("dns-resolution-system-error"),
        "{broken:?}"
    );
    assert!(
        !broken.iter().any(|id| id == "host-name-not-found"),
        "{broken:?}"
    );
}
