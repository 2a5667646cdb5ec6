//! Real FreeRDP outputs recorded against the lab's real servers are diagnosed.

use rdp_doctor::catalog::Knowledge;

#[test]
fn recorded_freerdp_outputs_of_the_lab_servers_are_recognised() {
    #[derive(serde::Deserialize)]
    struct Expected {
        file: String,
        categories: Vec<String>,
    }
    let dir = super::fixture("pastes/lab");
    let expected: Vec<Expected> =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("expected.yaml")).unwrap()).unwrap();
    let knowledge = Knowledge::embedded();
    let extractor = rdp_doctor::extract::Extractor::new(&knowledge);
    let matcher = rdp_doctor::matcher::Matcher::new(&knowledge);
    let mut failures = Vec::new();
    for case in &expected {
        let text = std::fs::read_to_string(dir.join(&case.file)).unwrap();
        let candidates = matcher.rank(&extractor.extract(&text), &text);
        let top: Vec<String> = candidates
            .iter()
            .take(3)
            .map(|c| {
                let rule = &knowledge.rules[c.rule];
                format!("{}:{}", rule.category, rule.id)
            })
            .collect();
        let fits = |t: &String| {
            case.categories
                .iter()
                .any(|c| t.starts_with(&format!("{c}:")))
        };
        if !top.iter().any(fits) {
            failures.push(format!(
                "{}: want one of {:?} in the top 3, got {top:?}",
                case.file, case.categories
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
