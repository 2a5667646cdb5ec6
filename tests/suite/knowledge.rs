//! The knowledge base as a whole: the catalog against the sourced reference, rule hygiene.

use std::collections::BTreeSet;

use rdp_doctor::catalog::{Code, Family, Knowledge, Pattern};
use serde::Deserialize;

/// One entry of the sourced reference table (shared/reference/rdp-error-codes.yaml).
#[derive(Debug, Deserialize)]
struct ReferenceEntry {
    code: Option<String>,
    family: String,
}

#[test]
fn the_catalog_holds_every_code_of_the_sourced_reference() {
    let path = super::root().join("../shared/reference/rdp-error-codes.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The reference sits beside the checkout on development and CI machines; without it
        // the per-family minimums below still hold.
        eprintln!(
            "{} not found; checking recorded minimums only",
            path.display()
        );
        return;
    };
    let reference: Vec<ReferenceEntry> = serde_yaml::from_str(&text).expect("reference parses");
    let knowledge = Knowledge::embedded();
    let mut missing = Vec::new();
    for entry in &reference {
        let family: Family = entry.family.parse().expect("reference family");
        let Some(code_text) = &entry.code else {
            continue;
        };
        let code = Code::parse(code_text).expect("reference code");
        let folded_alias = knowledge
            .catalog
            .entries()
            .iter()
            .any(|e| e.aliases.iter().any(|a| a == code_text));
        if !knowledge.catalog.defines(family, code) && !folded_alias {
            missing.push(format!("{family}:{code_text}"));
        }
    }
    assert!(missing.is_empty(), "missing from the catalog: {missing:?}");
}

#[test]
fn the_catalog_keeps_at_least_the_reference_counts_per_family() {
    // Entries per family in the sourced reference (shared/reference/README.md); `other` lost
    // one entry there, the decimal spelling 516, which the catalog folds into disconnect 0x204.
    let minimums = [
        (Family::DisconnectReason, 66),
        (Family::ExtendedReason, 28),
        (Family::Errinfo, 121),
        (Family::FreerdpErrconnect, 30),
        (Family::Gateway, 50),
        (Family::AvdClient, 13),
        (Family::Other, 7),
    ];
    let knowledge = Knowledge::embedded();
    for (family, minimum) in minimums {
        let count = knowledge
            .catalog
            .entries()
            .iter()
            .filter(|e| e.family == family)
            .count();
        assert!(
            count >= minimum,
            "{family}: {count} entries, the reference has {minimum}"
        );
    }
    for entry in knowledge.catalog.entries() {
        assert!(
            !entry.meaning.trim().is_empty(),
            "{} has no meaning",
            entry.key()
        );
        assert!(
            !entry.references.is_empty(),
            "{} has no reference",
            entry.key()
        );
    }
}

#[test]
fn catalog_coverage_counts_what_the_rules_explain() {
    let knowledge = Knowledge::embedded();
    let rows = rdp_doctor::catalog::coverage::family_coverage(&knowledge);
    let disconnect = rows
        .iter()
        .find(|r| r.family == "disconnect_reason")
        .unwrap();
    let explained: BTreeSet<Code> = knowledge
        .rules
        .iter()
        .flat_map(|r| r.codes.iter())
        .filter(|c| c.family.is_none_or(|f| f == Family::DisconnectReason))
        .map(|c| c.code)
        .filter(|&code| knowledge.catalog.defines(Family::DisconnectReason, code))
        .collect();
    assert_eq!(disconnect.explained, explained.len());
    assert!(disconnect.tested_rules <= disconnect.rules);
}

#[test]
fn no_two_rules_have_identical_signatures() {
    let knowledge = Knowledge::embedded();
    let mut seen: Vec<(BTreeSet<String>, &str)> = Vec::new();
    for rule in &knowledge.rules {
        let signature_set: BTreeSet<String> = rule
            .signatures
            .iter()
            .map(|s| format!("{} {}", s.describe(), s.weight))
            .collect();
        if let Some((_, other)) = seen.iter().find(|(set, _)| *set == signature_set) {
            panic!("rules {other} and {} have identical signatures", rule.id);
        }
        seen.push((signature_set, &rule.id));
    }
}

#[test]
fn every_rule_has_references_steps_and_sourced_examples() {
    let knowledge = Knowledge::embedded();
    for rule in &knowledge.rules {
        assert!(
            rule.references.len() >= 2,
            "{}: fewer than 2 references",
            rule.id
        );
        assert!(!rule.steps.is_empty(), "{}: no steps", rule.id);
        assert!(!rule.causes.is_empty(), "{}: no causes", rule.id);
        assert!(
            rule.examples.len() >= 2,
            "{}: fewer than 2 examples",
            rule.id
        );
        let codes_in_signatures = rule
            .signatures
            .iter()
            .any(|s| matches!(s.pattern, Pattern::Codes(_)));
        let words_in_signatures = rule
            .signatures
            .iter()
            .any(|s| !matches!(s.pattern, Pattern::Codes(_)));
        assert!(
            codes_in_signatures || words_in_signatures,
            "{}: no signature",
            rule.id
        );
    }
}

/// The website hands the engine its knowledge as a bundle of the layers' files: loaded from
/// it, the knowledge is the one the command line loads, and ranks alike.
#[test]
fn the_sites_knowledge_bundle_loads_what_the_files_load() {
    use rdp_doctor::catalog::{Bundle, Layer};
    use rdp_doctor::extract::Extractor;
    use rdp_doctor::matcher::Matcher;

    let folder = crate::fixture("rules/bundle");
    let layers = vec![Layer::embedded(), Layer::directory(&folder)];
    let direct = Knowledge::load(&layers);
    let json = serde_json::to_string(&Bundle::from_layers(&layers)).expect("a bundle serializes");
    assert!(
        !json.contains(&folder.display().to_string()),
        "the bundle must not publish the folder's path"
    );
    let bundle: Bundle = serde_json::from_str(&json).expect("a bundle reads back");
    assert_eq!(bundle.version, Bundle::VERSION);
    let loaded = Knowledge::load(&bundle.into_layers());

    let ids = |k: &Knowledge| k.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&loaded), ids(&direct));
    assert!(ids(&loaded).contains(&"licensing-code-as-number".to_string()));
    let keys = |k: &Knowledge| {
        k.catalog
            .entries()
            .iter()
            .map(|e| e.key())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&loaded), keys(&direct));
    assert_eq!(loaded.labels.labels.len(), direct.labels.labels.len());
    // The broken file is left out by both, with the same message (the file is named apart).
    let messages = |k: &Knowledge| {
        k.problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(messages(&direct).len(), 1, "{:?}", direct.problems);
    assert_eq!(messages(&loaded), messages(&direct));

    let rule =
        |k: &Knowledge| format!("{:?}", k.rule("licensing-code-as-number").map(|r| &r.codes));
    assert_eq!(rule(&loaded), rule(&direct));
    let paste = "there are no Remote Desktop License Servers available. Error code: 0x101";
    let rank = |k: &Knowledge| {
        let extraction = Extractor::new(k).extract(paste);
        Matcher::new(k)
            .rank(&extraction, paste)
            .iter()
            .map(|c| (k.rules[c.rule].id.clone(), c.score))
            .collect::<Vec<_>>()
    };
    let ranked = rank(&direct);
    assert_eq!(
        ranked.first().map(|c| c.0.as_str()),
        Some("licensing-code-as-number")
    );
    assert_eq!(rank(&loaded), ranked);
}

#[test]
fn every_catalog_entry_has_a_category_and_what_to_check_first() {
    let knowledge = Knowledge::embedded();
    let missing: Vec<String> = knowledge
        .catalog
        .entries()
        .iter()
        .filter(|e| e.category.is_none() || e.check_first.as_deref().is_none_or(str::is_empty))
        .map(|e| e.key())
        .collect();
    assert!(
        missing.is_empty(),
        "no category or check_first: {missing:?}"
    );
}

#[test]
fn the_catalog_speaks_the_languages_people_paste() {
    let knowledge = Knowledge::embedded();
    let rows = rdp_doctor::catalog::coverage::language_coverage(&knowledge);
    for lang in [
        "en", "de", "fr", "es", "it", "pt-BR", "ru", "pl", "nl", "tr", "ja", "ko", "zh-CN", "zh-TW",
    ] {
        let row = rows.iter().find(|r| r.lang == lang);
        assert!(
            row.is_some_and(|r| r.entries >= 30),
            "{lang}: {:?}",
            row.map(|r| r.entries)
        );
    }
    // The Microsoft dialogs themselves, not only the open-source clients' translations.
    for lang in ["de", "fr", "es", "ja", "ko", "ru", "zh-CN", "zh-TW"] {
        let row = rows.iter().find(|r| r.lang == lang).unwrap();
        assert!(
            row.families.iter().any(|f| f == "disconnect_reason"),
            "{lang}: {:?}",
            row.families
        );
    }
}

#[test]
fn every_translation_names_where_it_was_seen() {
    let mut checked = 0;
    for file in std::fs::read_dir(super::root().join("catalog")).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let texts = document.get("texts").and_then(|t| t.as_sequence());
        for item in texts.into_iter().flatten() {
            let source = item.get("source").and_then(|s| s.as_str()).unwrap_or("");
            assert!(
                source.starts_with("https://") || source.starts_with("http://"),
                "{}: a text without a source: {item:?}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked} translations");
}
