//! Entry points for the fuzz targets of `fuzz/`: each takes any bytes, runs one stage as the
//! command line runs it, and panics only where rdp-doctor broke a promise.
//!
//! Built with the `fuzzing` feature. Besides "no panic, no hang, no unbounded growth", the
//! entry points check what the output promises: text for a terminal holds no active
//! character, whatever the paste, server or recording said.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::catalog::{Knowledge, Layer, Origin, SourceFile};
use crate::extract::{Extractor, Paste};
use crate::matcher::Matcher;
use crate::probe::net::{self, CredsspReport, HttpsReport};
use crate::probe::x509::CertificateFacts;
use crate::probe::{Recording, RunOptions};
use crate::ranking::Ranking;
use crate::related::Related;
use crate::render::{self, ProbeReport, TextStyle};
use crate::untrusted::has_active;

/// The embedded knowledge and its indexes, built once for every input.
struct Engine {
    knowledge: &'static Knowledge,
    extractor: Extractor<'static>,
    matcher: Matcher<'static>,
    related: Related,
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let knowledge: &'static Knowledge = Box::leak(Box::new(Knowledge::embedded()));
    Engine {
        knowledge,
        extractor: Extractor::new(knowledge),
        matcher: Matcher::new(knowledge),
        related: Related::new(knowledge),
    }
});

/// Builds the embedded knowledge now, so the first input is not charged for it.
pub fn warm_up() {
    LazyLock::force(&ENGINE);
}

/// Renders `report` in the three formats and checks the terminal's.
fn render_all(knowledge: &Knowledge, report: &render::Report) {
    for detail in [false, true] {
        let text = render::render_text(
            report,
            TextStyle {
                width: 80,
                color: false,
                detail,
            },
        );
        assert!(
            !has_active(&text),
            "an active character reached the text report"
        );
        let _ = render::render_markdown(knowledge, report, detail);
    }
    let _ = render::render_json(report);
}

/// A paste, as bytes from a file or standard input: decode, extract, rank, report.
pub fn diagnose(bytes: &[u8]) {
    let engine = &*ENGINE;
    let paste = Paste::from_bytes(bytes.to_vec());
    let extraction = engine.extractor.extract(&paste.text);
    let candidates = engine.matcher.rank(&extraction, &paste.text);
    let ranking = Ranking::complete(
        engine.knowledge,
        &extraction,
        &paste.text,
        candidates,
        || &engine.related,
    );
    let report = render::build_report(
        engine.knowledge,
        &paste.text,
        &extraction,
        &ranking,
        &paste.notices,
        None,
        // Redaction sees every paste too: it must not panic on any of them.
        &crate::redact::Redactor::for_paste(&paste.text, &extraction),
    );
    render_all(engine.knowledge, &report);
}

/// Where the layer's one file goes, chosen by the input's first byte.
const LAYER_PATHS: &[&str] = &[
    "rules/fuzz/fuzzed.yaml",
    "catalog/fuzzed.yaml",
    "catalog/labels.yaml",
    "probes/fuzzed.rhai",
    "probes/lib/fuzzed.rhai",
    "site/report/diagnosis.md.j2",
];

/// One knowledge file, as another team's folder would hold it, loaded and checked as
/// `rules check` does (the first byte picks the kind of file, the rest is its text).
pub fn knowledge_file(bytes: &[u8]) {
    let Some((&kind, rest)) = bytes.split_first() else {
        return;
    };
    let relative = LAYER_PATHS[kind as usize % LAYER_PATHS.len()];
    let text = String::from_utf8_lossy(rest).into_owned();
    let layer = Layer {
        files: vec![SourceFile {
            origin: Origin::File(Path::new("/fuzz").join(relative)),
            relative: relative.to_string(),
            text: text.clone(),
            precompiled: None,
        }],
        problems: Vec::new(),
    };
    let (_, problems) = crate::check::check(&[layer]);
    for problem in problems {
        let _ = problem.render(Some(&text));
    }
}

/// A server's answer to the X.224 Connection Request, after the TPKT header.
pub fn x224_confirm(bytes: &[u8]) {
    if let Err(error) = net::parse_confirm(bytes) {
        assert!(!error.message.is_empty());
    }
}

/// A server's CredSSP answer: a TSRequest and the NTLM challenge inside it.
pub fn credssp_answer(bytes: &[u8]) {
    let mut report = CredsspReport::default();
    if let Some(token) = net::parse_ts_request(bytes, &mut report) {
        net::parse_challenge(token, &mut report);
    }
    // Only the NTLM token itself, too.
    net::parse_challenge(bytes, &mut report);
}

/// An RD Gateway's HTTP answer head.
pub fn gateway_answer(bytes: &[u8]) {
    let mut report = HttpsReport::default();
    let _ = net::parse_http_head(bytes, &mut report);
}

/// A certificate a server presented, as DER.
pub fn certificate(bytes: &[u8]) {
    let facts = CertificateFacts::from_der_at(bytes, "rdp.example.test", 1_800_000_000);
    let _ = serde_json::to_string(&facts);
}

/// A recording given to `--replay`: read, replayed with the embedded probes, reported.
pub fn recording(bytes: &[u8]) {
    let engine = &*ENGINE;
    let text = String::from_utf8_lossy(bytes);
    let Ok(recording) = Recording::parse(&text, Path::new("fuzzed.json")) else {
        return;
    };
    let options = RunOptions {
        budget: std::time::Duration::from_secs(2),
        ..RunOptions::default()
    };
    let scripts = Arc::new(engine.knowledge.probes.clone());
    let Ok(results) = recording.replay(scripts, &options) else {
        return;
    };
    let probes = ProbeReport {
        target: recording.target,
        replayed_from: Some(recording.recorded_at),
        results,
    };
    let extraction = engine.extractor.extract("");
    let (candidates, notices) = crate::probe::rerank(engine.knowledge, Vec::new(), &probes.results);
    let ranking = Ranking::of_rules(candidates);
    let report = render::build_report(
        engine.knowledge,
        "",
        &extraction,
        &ranking,
        &notices,
        Some(&probes),
        &crate::redact::Redactor::new(),
    );
    render_all(engine.knowledge, &report);
}

/// A rule's or catalog entry's text, rendered as a page shows it.
pub fn template(bytes: &[u8]) {
    let source = String::from_utf8_lossy(bytes);
    if let Ok(text) = render::render_without_paste(&source) {
        assert!(text.len() <= render::TEXT_BUDGET.output);
    }
}
