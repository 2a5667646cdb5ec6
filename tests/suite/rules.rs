//! Every rule's examples rank it in the top 3; its counter-examples do not match it.

use rdp_doctor::catalog::Knowledge;
use rdp_doctor::matcher::check_examples;

#[test]
fn embedded_knowledge_loads_without_problems() {
    let knowledge = Knowledge::embedded();
    let problems: Vec<String> = knowledge.problems.iter().map(|p| p.render(None)).collect();
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

/// Validates YAML documents against a JSON Schema printed by `rules schema`.
fn schema_validator(kind: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let output = super::rdp_doctor_command()
        .args(["rules", "schema", kind])
        .output()
        .expect("rdp-doctor runs");
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("urn:rdp-doctor:schema", schema)
        .expect("a schema");
    let index = compiler
        .compile("urn:rdp-doctor:schema", &mut schemas)
        .expect("the schema compiles");
    (schemas, index)
}

fn yaml_as_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_schemas_accept_every_shipped_file_and_reject_broken_rules() {
    let (schemas, rule) = schema_validator("rule");
    let mut checked = 0;
    for entry in walk(&super::root().join("rules")) {
        let document = yaml_as_json(&entry);
        if let Err(error) = schemas.validate(&document, rule) {
            panic!("{}: {error}", entry.display());
        }
        checked += 1;
    }
    assert!(checked >= 60);
    let (catalog_schemas, catalog) = schema_validator("catalog");
    for entry in walk(&super::root().join("catalog")) {
        if entry.ends_with("labels.yaml") {
            continue;
        }
        let document = yaml_as_json(&entry);
        if let Err(error) = catalog_schemas.validate(&document, catalog) {
            panic!("{}: {error}", entry.display());
        }
    }
    let broken = super::root().join("tests/fixtures/rules/err_everything/rules");
    for name in ["typo-field.yaml", "missing-title.yaml", "bad-category.yaml"] {
        let document = yaml_as_json(&broken.join(name));
        assert!(
            schemas.validate(&document, rule).is_err(),
            "{name} passes the schema"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn rules_new_writes_a_skeleton_that_loads_and_fails_only_its_placeholder_example() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    let new = [
        "rules",
        "new",
        "team-proxy-reset",
        "--category",
        "gateway",
        "--dir",
        folder,
    ];
    let output = run_isolated(&new);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rule = dir.path().join("rules/gateway/team-proxy-reset.yaml");
    assert!(rule.exists() && dir.path().join("rule.schema.json").exists());
    let text = std::fs::read_to_string(&rule).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../../rule.schema.json\n"));
    // The skeleton is a valid rule: the only problem is its placeholder example.
    let output = run_isolated(&["rules", "check", folder]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{report}");
    assert!(report.contains("1 problem:"), "{report}");
    assert!(
        report.contains("team-proxy-reset.yaml:") && report.contains("example 1"),
        "{report}"
    );
    // Refuses to overwrite, and refuses ids that are not kebab-case.
    let again = run_isolated(&new);
    assert_eq!(again.status.code(), Some(2));
    let bad = run_isolated(&[
        "rules",
        "new",
        "Team_Proxy",
        "--category",
        "gateway",
        "--dir",
        folder,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = run_isolated(&["rules", "new", "x", "--category", "gatway", "--dir", folder]);
    assert_eq!(bad.status.code(), Some(2));
}

/// AUTHORING.md shows the files of `tests/fixtures/rules/authoring-example` verbatim; they pass
/// `rules check` and `rules test`, and the translation is recognised.
#[test]
fn the_authoring_guide_shows_a_folder_that_checks_and_tests_clean() {
    let guide = std::fs::read_to_string(super::root().join("AUTHORING.md")).unwrap();
    let folder = super::fixture("rules/authoring-example");
    let mut shown = 0;
    for part in guide.split("<!-- file: ").skip(1) {
        let (path, rest) = part.split_once(" -->\n").expect("a file marker");
        let block = rest.split_once("\n").expect("a fence").1;
        let block = &block[..block.find("```\n").expect("the fence closes")];
        let file = std::fs::read_to_string(folder.join(path)).unwrap();
        assert_eq!(
            block, file,
            "AUTHORING.md shows {path} differently from the fixture"
        );
        shown += 1;
    }
    assert_eq!(shown, 3);
    let dir = folder.to_str().unwrap();
    let check = run_isolated(&["rules", "check", dir]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let test = run_isolated(&["rules", "test", dir, "team-vpn-not-connected"]);
    assert_eq!(
        test.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    let dutch = run_isolated(&[
        "--rules",
        dir,
        "diagnose",
        "--format",
        "json",
        "Deze computer kan geen verbinding maken met de externe computer. Uw computer heeft onvoldoende virtueel geheugen beschikbaar.",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&dutch.stdout).unwrap();
    assert_eq!(report["input"]["messages"][0]["key"], "disconnect:0x106");
    assert_eq!(report["input"]["messages"][0]["lang"], "nl");
}

/// Runs rdp-doctor with only the knowledge under test: no user folder, no RDP_DOCTOR_RULES.
fn run_isolated(args: &[&str]) -> std::process::Output {
    super::rdp_doctor_command()
        .args(args)
        .output()
        .expect("rdp-doctor runs")
}
