//! `rules check`: the checks beyond loading, run over every layer: regexes too large to
//! compile, reference URLs that are not http(s), templates that do not parse or use unknown
//! variables, and examples that do not rank their rule.

use crate::catalog::{Knowledge, Layer, Problem, ProblemKind, SourceFile, source_file, suggest};
use crate::matcher::{EXAMPLE_TOP, check_examples};
use crate::yaml::LazyIndex;
use crate::yaml::Position;

/// The variables rule templates can use (see the render stage).
pub const TEMPLATE_VARIABLES: &[&str] = &[
    "host", "port", "hosts", "code", "extended", "codes", "probes",
];

/// Every problem of the loaded knowledge: the load problems and these checks, sorted by file
/// and line. Regexes and templates are checked in every rule file, also in files that failed
/// to load for another reason.
pub fn check(knowledge: &Knowledge, layers: &[Layer]) -> Vec<Problem> {
    let mut problems = knowledge.problems.clone();
    let env = minijinja::Environment::new();
    for file in layers.iter().flat_map(|l| &l.files) {
        if !file.relative.starts_with("rules/") || file.relative.ends_with(".rhai") {
            continue;
        }
        let Ok(document) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
            continue;
        };
        let index = LazyIndex::new(&file.text);
        let at = |path: &str| index.locate(path);
        let signatures = document.get("signatures").and_then(|v| v.as_sequence());
        for (i, signature) in signatures.into_iter().flatten().enumerate() {
            let Some(regex) = signature.get("regex").and_then(|v| v.as_str()) else {
                continue;
            };
            // A regex that does not parse is already reported by the load; one that parses
            // but does not compile (too large) is reported here.
            if crate::model::rules::parse_signature_regex(regex).is_err() {
                continue;
            }
            if let Err(reason) = crate::model::rules::compile_signature_regex(regex) {
                let path = format!("signatures[{i}].regex");
                problems.push(Problem::new(
                    ProblemKind::Regex,
                    file,
                    at(&path),
                    format!("regex does not compile: {reason}"),
                ));
                continue;
            }
        }
        for (path, text) in templates(&document) {
            check_template(&env, file, at(&path), &path, &text, &mut problems);
        }
    }
    for file in layers.iter().flat_map(|l| &l.files) {
        let knowledge_yaml = (file.relative.starts_with("rules/")
            || file.relative.starts_with("catalog/"))
            && (file.relative.ends_with(".yaml") || file.relative.ends_with(".yml"));
        if !knowledge_yaml {
            continue;
        }
        let Ok(document) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
            continue;
        };
        let index = LazyIndex::new(&file.text);
        let mut urls = Vec::new();
        reference_urls(&document, String::new(), false, &mut urls);
        for (path, url) in urls
            .into_iter()
            .filter(|(_, url)| !crate::model::is_web_url(url))
        {
            problems.push(
                Problem::new(
                    ProblemKind::Value,
                    file,
                    index.locate(&path),
                    format!("reference URL `{url}` is not an http(s) URL"),
                )
                .with_hint(Some(
                    "pages link only to http:// and https:// addresses; this one is shown as text"
                        .into(),
                )),
            );
        }
    }
    for outcome in check_examples(knowledge).iter().filter(|o| !o.passed) {
        let Some(rule) = knowledge.rule(&outcome.rule) else {
            continue;
        };
        let Some(file) = source_file(layers, &rule.origin) else {
            continue;
        };
        let index = LazyIndex::new(&file.text);
        let list = if outcome.counter {
            "counter_examples"
        } else {
            "examples"
        };
        let position = index.locate(&format!("{list}[{}]", outcome.index));
        let (message, hint) = if outcome.counter {
            (
                format!("counter-example {} matches the rule", outcome.index + 1),
                format!(
                    "it matched through {}; make that signature more specific, or give it a negative signature",
                    outcome.matched.join("; ")
                ),
            )
        } else {
            let placed = match outcome.rank {
                Some(rank) => format!("ranks the rule #{rank}"),
                None => "does not match the rule".to_string(),
            };
            (
                format!(
                    "example {} {placed}, not in the top {EXAMPLE_TOP}",
                    outcome.index + 1
                ),
                format!(
                    "the top {EXAMPLE_TOP} are {}; add a signature that this paste has",
                    outcome.top.join(", ")
                ),
            )
        };
        problems.push(
            Problem::new(ProblemKind::Example, file, position, message).with_hint(Some(hint)),
        );
    }
    problems.sort_by_cached_key(|p| (p.file(), p.line.unwrap_or(0), p.column.unwrap_or(0)));
    problems
}

/// Every `url` of a `references` list in a document, with its key path.
fn reference_urls(
    value: &serde_yaml::Value,
    path: String,
    in_references: bool,
    out: &mut Vec<(String, String)>,
) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                let child_path = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                if in_references && key == "url" {
                    if let Some(url) = child.as_str() {
                        out.push((child_path, url.to_string()));
                    }
                    continue;
                }
                reference_urls(child, child_path, key == "references", out);
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                reference_urls(item, format!("{path}[{i}]"), in_references, out);
            }
        }
        _ => {}
    }
}

/// Every template text of a rule document with its key path.
fn templates(document: &serde_yaml::Value) -> Vec<(String, String)> {
    let text = |v: Option<&serde_yaml::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    let mut all = Vec::new();
    for key in ["title", "summary"] {
        if let Some(t) = text(document.get(key)) {
            all.push((key.to_string(), t));
        }
    }
    let causes = document.get("causes").and_then(|v| v.as_sequence());
    for (i, cause) in causes.into_iter().flatten().enumerate() {
        if let Some(t) = text(Some(cause)) {
            all.push((format!("causes[{i}]"), t));
        }
    }
    let steps = document.get("steps").and_then(|v| v.as_sequence());
    for (i, step) in steps.into_iter().flatten().enumerate() {
        for key in ["title", "body"] {
            if let Some(t) = text(step.get(key)) {
                all.push((format!("steps[{i}].{key}"), t));
            }
        }
        let commands = step.get("commands").and_then(|v| v.as_mapping());
        for (kind, command) in commands.into_iter().flatten() {
            if let (Some(kind), Some(t)) = (kind.as_str(), text(Some(command))) {
                all.push((format!("steps[{i}].commands.{kind}"), t));
            }
        }
    }
    all
}

fn check_template(
    env: &minijinja::Environment<'_>,
    file: &SourceFile,
    position: Option<Position>,
    path: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) {
    if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
        return;
    }
    let template = match env.template_from_str(text) {
        Ok(template) => template,
        Err(error) => {
            let detail = error.detail().unwrap_or_default();
            let line = error
                .line()
                .map(|l| format!(" (line {l} of the text)"))
                .unwrap_or_default();
            problems.push(Problem::new(
                ProblemKind::Template,
                file,
                position,
                format!("template `{path}` does not parse: {detail}{line}"),
            ));
            return;
        }
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !TEMPLATE_VARIABLES.contains(&v.as_str()))
        .collect();
    unknown.sort();
    for name in unknown {
        let hint = suggest(&name, TEMPLATE_VARIABLES)
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| {
                Some(format!(
                    "templates can use {}",
                    TEMPLATE_VARIABLES.join(", ")
                ))
            });
        problems.push(
            Problem::new(
                ProblemKind::Template,
                file,
                position,
                format!("template `{path}` uses the undefined variable `{name}`"),
            )
            .with_hint(hint),
        );
    }
}
