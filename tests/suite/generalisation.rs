//! How well the knowledge generalises: category scores on real pastes no rule was written from.
//!
//! `tests/fixtures/holdout/pastes.yaml` was split from `tests/fixtures/pastes/dev.yaml` by source
//! before any rule was written from either; no rule cites a held-out paste or its thread. The
//! scores are printed (`cargo test --test suite generalisation -- --nocapture`) and must not
//! fall below the floors here, which are the scores reached when they were last raised.

use std::collections::BTreeSet;

use rdp_doctor::catalog::{Category, Knowledge};
use rdp_doctor::extract::Extractor;
use rdp_doctor::matcher::Matcher;
use rdp_doctor::ranking::Ranking;
use rdp_doctor::related::Related;
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    text: String,
    source: String,
    #[serde(default)]
    codes: Vec<String>,
    category: String,
}

/// Category scores of one corpus, in percent of its pastes (codes: of its labelled codes).
#[derive(Debug)]
struct Scores {
    pastes: usize,
    top1: f64,
    top3: f64,
    no_candidate: f64,
    codes_found: f64,
}

fn corpus(relative: &str) -> Vec<Case> {
    let path = super::fixture(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let corpus: Corpus = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
    assert!(!corpus.cases.is_empty(), "{relative} has no pastes");
    corpus.cases
}

/// The categories rdp-doctor gives a paste, best first, as its report lists them: the rules,
/// the catalog meanings, then possibly related rules.
fn categories(
    knowledge: &Knowledge,
    extractor: &Extractor,
    matcher: &Matcher,
    related: &Related,
    text: &str,
) -> (Vec<Category>, BTreeSet<String>) {
    let extraction = extractor.extract(text);
    let candidates = matcher.rank(&extraction, text);
    let ranking = Ranking::complete(knowledge, &extraction, text, candidates, || related);
    let categories = ranking.categories(knowledge).collect();
    // A code counts as the catalog reads it and as the aliases the paste wrote (FreeRDP's
    // `ERRINFO_LOGOFF_BY_USER [0x0001000C]` is ERRINFO 0xc, alias 0x1000c).
    let codes = extraction
        .codes
        .iter()
        .flat_map(|c| std::iter::once(c.code).chain(c.aliases.iter().copied()))
        .map(|code| code.to_string())
        .collect();
    (categories, codes)
}

fn score(knowledge: &Knowledge, cases: &[Case]) -> Scores {
    let extractor = Extractor::new(knowledge);
    let matcher = Matcher::new(knowledge);
    let related = Related::new(knowledge);
    let (mut top1, mut top3, mut empty, mut wanted, mut found) = (0, 0, 0, 0, 0);
    for case in cases {
        let want: Category = case
            .category
            .parse()
            .unwrap_or_else(|_| panic!("{}: unknown category {}", case.id, case.category));
        let (got, codes) = categories(knowledge, &extractor, &matcher, &related, &case.text);
        top1 += usize::from(got.first() == Some(&want));
        top3 += usize::from(got.iter().take(3).any(|c| *c == want));
        empty += usize::from(got.is_empty());
        wanted += case.codes.len();
        found += case.codes.iter().filter(|c| codes.contains(*c)).count();
    }
    let percent = |n: usize, of: usize| {
        if of == 0 {
            100.0
        } else {
            100.0 * n as f64 / of as f64
        }
    };
    Scores {
        pastes: cases.len(),
        top1: percent(top1, cases.len()),
        top3: percent(top3, cases.len()),
        no_candidate: percent(empty, cases.len()),
        codes_found: percent(found, wanted),
    }
}

fn report(name: &str, scores: &Scores) {
    println!(
        "{name}: {} pastes; top-1 {:.0}%, top-3 {:.0}%, no candidate {:.0}%, codes found {:.0}%",
        scores.pastes, scores.top1, scores.top3, scores.no_candidate, scores.codes_found
    );
}

#[test]
fn held_out_pastes_score_at_least_the_recorded_floors() {
    let knowledge = Knowledge::embedded();
    let scores = score(&knowledge, &corpus("holdout/pastes.yaml"));
    report("held out", &scores);
    // The issue asks for at least 100; 10 were moved out when the knowledge came to cite their
    // sources. New held-out pastes must be collected before this floor can be raised to 100.
    assert!(scores.pastes >= 100, "{scores:?}");
    assert!(scores.top3 >= HOLDOUT_FLOOR.top3, "{scores:?}");
    assert!(scores.top1 >= HOLDOUT_FLOOR.top1, "{scores:?}");
    assert!(
        scores.no_candidate <= HOLDOUT_FLOOR.no_candidate,
        "{scores:?}"
    );
    assert!(
        scores.codes_found >= HOLDOUT_FLOOR.codes_found,
        "{scores:?}"
    );
}

#[test]
fn development_pastes_score_at_least_the_recorded_floors() {
    let knowledge = Knowledge::embedded();
    let scores = score(&knowledge, &corpus("pastes/dev.yaml"));
    report("development", &scores);
    assert!(scores.top3 >= DEV_FLOOR.top3, "{scores:?}");
    assert!(scores.top1 >= DEV_FLOOR.top1, "{scores:?}");
    assert!(scores.no_candidate <= DEV_FLOOR.no_candidate, "{scores:?}");
    assert!(scores.codes_found >= DEV_FLOOR.codes_found, "{scores:?}");
}

#[test]
fn no_knowledge_file_cites_a_held_out_source() {
    let held_out = corpus("holdout/pastes.yaml");
    let mut files = Vec::new();
    for folder in ["rules", "catalog"] {
        let mut stack = vec![super::root().join(folder)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    assert!(files.len() > 100, "{} knowledge files", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for case in &held_out {
            // A URL the dialog itself prints (a link in the message) is text, not a source:
            // only sources that are pages or threads are looked for.
            let source = case.source.trim_end_matches('/');
            let cited = text.match_indices(source).any(|(at, _)| {
                let opens = text[..at].ends_with(['"', ' ']);
                // `issues/542` is not `issues/5429`: the URL must end where the source does.
                let ends = text[at + source.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || "-_%".contains(c)));
                opens && ends
            });
            assert!(
                !cited,
                "{} cites the held-out source {source}",
                path.display()
            );
        }
    }
}

#[test]
fn no_rule_example_comes_from_a_held_out_paste_or_its_source() {
    let held_out = corpus("holdout/pastes.yaml");
    let dev = corpus("pastes/dev.yaml");
    let held_sources: BTreeSet<&str> = held_out.iter().map(|c| c.source.as_str()).collect();
    let dev_sources: BTreeSet<&str> = dev.iter().map(|c| c.source.as_str()).collect();
    assert!(
        held_sources.is_disjoint(&dev_sources),
        "a source is in both sets: the split is by source"
    );
    let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let held_texts: BTreeSet<String> = held_out.iter().map(|c| squash(&c.text)).collect();
    for rule in &Knowledge::embedded().rules {
        for example in rule.examples.iter().chain(&rule.counter_examples) {
            assert!(
                !held_texts.contains(&squash(&example.text)),
                "rule {} uses a held-out paste as an example",
                rule.id
            );
            if let Some(source) = &example.source {
                assert!(
                    !held_sources.contains(source.as_str()),
                    "rule {} cites the held-out source {source}",
                    rule.id
                );
            }
        }
    }
}

/// The lowest scores the held-out set may give (percent).
const HOLDOUT_FLOOR: Floor = Floor {
    top1: 58.0,
    top3: 76.0,
    no_candidate: 1.0,
    codes_found: 91.0,
};

/// The lowest scores the development set may give (percent).
const DEV_FLOOR: Floor = Floor {
    top1: 70.0,
    top3: 83.0,
    no_candidate: 1.0,
    codes_found: 98.0,
};

struct Floor {
    top1: f64,
    top3: f64,
    no_candidate: f64,
    codes_found: f64,
}

/// A user's own words, with no code or known message, still get possibly related rules: the
/// descriptions the knowledge must understand, each with a rule it must list among them.
#[test]
fn descriptions_without_a_code_find_the_rules_they_describe() {
    let knowledge = Knowledge::embedded();
    let related = Related::new(&knowledge);
    let cases = [
        (
            "the screen goes black right after I log on",
            "windows-black-screen-after-logon",
        ),
        (
            "it worked yesterday and now it just says it can't connect",
            "client-update-broke-connections",
        ),
        (
            "Gestern funktioniert, heute kann ich keine Verbindung herstellen",
            "client-update-broke-connections",
        ),
        (
            "the PC name is not found when I try to connect",
            "host-name-not-found",
        ),
        (
            "I keep getting thrown out of the session every few minutes",
            "idle-or-time-limit-reached",
        ),
        (
            "I only get a grey screen after signing in",
            "windows-black-screen-after-logon",
        ),
        (
            "since I changed my password it asks for my password again",
            "stale-saved-credentials",
        ),
    ];
    for (text, rule) in cases {
        let found: Vec<&str> = related
            .find(text)
            .iter()
            .map(|r| knowledge.rules[r.rule].id.as_str())
            .collect();
        assert!(
            found.contains(&rule),
            "{text:?} should list {rule} among its related rules, got {found:?}"
        );
    }
}
