//! Every rule's examples rank it in the top 3; its counter-examples do not match it.

use rdp_doctor::catalog::Knowledge;
use rdp_doctor::matcher::check_examples;

#[test]
fn embedded_knowledge_loads_without_problems() {
    let knowledge = Knowledge::embedded();
    let problems: Vec<String> = knowledge.problems.iter().map(|p| p.render()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(!knowledge.rules.is_empty());
}

#[test]
fn rule_examples_rank_their_rule_and_counter_examples_do_not_match() {
    let knowledge = Knowledge::embedded();
    let outcomes = check_examples(&knowledge);
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("{:?}", o))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for rule in &knowledge.rules {
        assert!(!rule.examples.is_empty(), "rule {} has no example", rule.id);
        assert!(
            !rule.counter_examples.is_empty(),
            "rule {} has no counter-example",
            rule.id
        );
        for example in rule.examples.iter().chain(&rule.counter_examples) {
            assert!(
                example.source.is_some(),
                "rule {}: an example cites no source",
                rule.id
            );
        }
    }
}

#[test]
fn rule_files_sit_in_their_category_folder() {
    let knowledge = Knowledge::embedded();
    for rule in &knowledge.rules {
        let origin = rule.origin.to_string();
        let expected = format!("rules/{}/{}.yaml", rule.category, rule.id);
        assert!(origin.ends_with(&expected), "{origin} should be {expected}");
    }
}

#[test]
fn the_seed_paste_names_all_five_causes() {
    let knowledge = Knowledge::embedded();
    let text = std::fs::read_to_string(super::fixture("pastes/seed-0x904-0x7.txt")).unwrap();
    let extractor = rdp_doctor::extract::Extractor::new(&knowledge);
    let matcher = rdp_doctor::matcher::Matcher::new(&knowledge);
    let candidates = matcher.rank(&extractor.extract(&text), &text);
    let ids: Vec<&str> = candidates
        .iter()
        .map(|c| knowledge.rules[c.rule].id.as_str())
        .collect();
    for id in [
        "rdp-certificate-expired-or-unreadable",
        "credssp-function-not-supported",
        "network-link-unstable",
        "gateway-handshake-failed",
        "client-outdated",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(ids[0], "rdp-certificate-expired-or-unreadable");
}

#[test]
fn embedded_json_and_yaml_forms_agree() {
    // The binary reads embedded files from their build-time JSON form; the YAML text must
    // give the same knowledge.
    let mut layer = rdp_doctor::catalog::Layer::embedded();
    let fast = Knowledge::load(std::slice::from_ref(&layer));
    for file in &mut layer.files {
        file.precompiled = None;
    }
    let slow = Knowledge::load(&[layer]);
    assert_eq!(fast.rules.len(), slow.rules.len());
    assert_eq!(fast.catalog.entries().len(), slow.catalog.entries().len());
    assert_eq!(fast.labels.labels, slow.labels.labels);
    for (a, b) in fast.rules.iter().zip(&slow.rules) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.signatures.len(), b.signatures.len());
        assert_eq!(a.steps.len(), b.steps.len());
    }
}

#[test]
fn every_embedded_regex_compiles_and_its_required_words_never_hide_a_match() {
    // Embedded regexes are compiled on first use, and skipped when none of their required
    // words is in the paste: check both against every example and counter-example.
    let knowledge = Knowledge::embedded();
    for rule in &knowledge.rules {
        for signature in &rule.signatures {
            let rdp_doctor::catalog::Pattern::Regex(regex) = &signature.pattern else {
                continue;
            };
            let compiled = regex.regex().unwrap_or_else(|e| {
                panic!(
                    "rule {}: /{}/ does not compile: {e}",
                    rule.id,
                    regex.as_str()
                )
            });
            let Some(words) = regex.required_words() else {
                continue;
            };
            for other in &knowledge.rules {
                for example in other.examples.iter().chain(&other.counter_examples) {
                    if compiled.is_match(&example.text) {
                        let folded = rdp_doctor::extract::fold(&example.text);
                        assert!(
                            words.iter().any(|w| folded.contains(w.as_str())),
                            "rule {}: /{}/ matches an example of {} but none of {words:?} is in it",
                            rule.id,
                            regex.as_str(),
                            other.id
                        );
                    }
                }
            }
        }
    }
}
