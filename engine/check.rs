//! `rules check`: the checks beyond loading, run over every layer: regexes too large to
//! compile, reference and source URLs that are not http(s), templates (of rules and of catalog
//! entries' `check_first`) that do not parse or use unknown variables, and examples that do not
//! rank their rule.

use crate::catalog::{
    Knowledge, Layer, Parsed, Problem, ProblemKind, Reference, SourceFile, source_file, suggest,
};
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::matcher::{EXAMPLE_TOP, check_examples};
use crate::model::rules::RuleFile;
use crate::render::{TEXT_BUDGET, is_over_budget};
use crate::yaml::LazyIndex;
use crate::yaml::Position;

/// The variables rule templates can use (see the render stage).
pub const TEMPLATE_VARIABLES: &[&str] = &[
    "host", "port", "hosts", "code", "extended", "codes", "probes",
];

/// Loads `layers` and returns the knowledge with every problem: the load problems and these
/// checks, sorted by file and line. Regexes, templates and reference URLs are checked in every
/// rule and catalog file that parses, also in files that failed to load for another reason.
pub fn check(layers: &[Layer]) -> (Knowledge, Vec<Problem>) {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(TEXT_BUDGET.fuel));
    let mut found = Vec::new();
    let mut inspect = |file: &SourceFile, parsed: Parsed<'_>, index: &LazyIndex<'_>| match parsed {
        Parsed::Rule(rule) => check_rule_file(&env, file, rule, index, &mut found),
        Parsed::Catalog(catalog) => {
            for (i, entry) in catalog.entries.iter().enumerate() {
                let path = format!("entries[{i}].references");
                check_urls(file, &entry.references, &path, index, &mut found);
                if let Some(text) = &entry.check_first {
                    let path = format!("entries[{i}].check_first");
                    check_template(&env, file, index.locate(&path), &path, text, &mut found);
                }
            }
            for (i, text) in catalog.texts.iter().enumerate() {
                let Some(source) = &text.source else { continue };
                if !crate::model::is_web_url(source) {
                    found.push(Problem::new(
                        ProblemKind::Value,
                        file,
                        index.locate(&format!("texts[{i}].source")),
                        format!("source `{source}` is not an http(s) URL"),
                    ));
                }
            }
        }
    };
    let knowledge = Knowledge::load_inspected(layers, &mut inspect);
    let mut problems = knowledge.problems.clone();
    problems.append(&mut found);
    for outcome in check_examples(&knowledge).iter().filter(|o| !o.passed) {
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
    check_probe_facts(&knowledge, layers, &mut problems);
    problems.sort_by_cached_key(|p| (p.file(), p.line.unwrap_or(0), p.column.unwrap_or(0)));
    (knowledge, problems)
}

/// Reports each probe expression of a rule that names a fact its probe never returns: such
/// an expression can never hold, so the probe's answer would never count for the rule. The
/// facts a probe can return are the keys its script (or a library) writes: `name:` in a map
/// and `facts.name =`.
fn check_probe_facts(knowledge: &Knowledge, layers: &[Layer], problems: &mut Vec<Problem>) {
    static KEY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b([A-Za-z_]\w*)\s*:[^:]|\.([A-Za-z_]\w*)\s*=[^=]").unwrap());
    static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_]\w*").unwrap());
    static STRING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"#).unwrap());
    const BUILT_IN: &[&str] = &[
        "status", "summary", "true", "false", "if", "else", "in", "let", "const", "not", "and",
        "or", "this",
    ];
    let keys_of = |source: &str| -> Vec<String> {
        KEY.captures_iter(source)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)))
            .map(|m| m.as_str().to_string())
            .collect()
    };
    let library_keys: Vec<String> = knowledge
        .probes
        .iter()
        .filter(|p| p.library)
        .flat_map(|p| keys_of(&p.source))
        .collect();
    // Each probe's facts, read once: its own keys and every library's (of two probes of one
    // name, the one `Knowledge::probe` finds, the first).
    let mut facts_of: HashMap<&str, Vec<String>> = HashMap::new();
    for script in knowledge.probes.iter().filter(|p| !p.library) {
        facts_of.entry(script.name.as_str()).or_insert_with(|| {
            let mut facts = keys_of(&script.source);
            facts.extend(library_keys.iter().cloned());
            facts
        });
    }
    for rule in &knowledge.rules {
        for (i, check) in rule.probes.iter().enumerate() {
            let Some(facts) = facts_of.get(check.probe.as_str()) else {
                continue;
            };
            for (field, expression) in [
                ("confirms_when", &check.confirms_when),
                ("refutes_when", &check.refutes_when),
            ] {
                let Some(expression) = expression else {
                    continue;
                };
                let bare = STRING.replace_all(expression, " ");
                let unknown: Vec<&str> = NAME
                    .find_iter(&bare)
                    .filter(|m| {
                        let before = bare[..m.start()].trim_end().ends_with('.');
                        let call = bare[m.end()..].trim_start().starts_with('(');
                        !before && !call
                    })
                    .map(|m| m.as_str())
                    .filter(|name| !BUILT_IN.contains(name) && !facts.iter().any(|f| f == name))
                    .collect();
                let Some(name) = unknown.first() else {
                    continue;
                };
                let Some(file) = source_file(layers, &rule.origin) else {
                    continue;
                };
                let index = LazyIndex::new(&file.text);
                let known: Vec<&str> = facts.iter().map(String::as_str).collect();
                let hint = suggest(name, &known).map(|s| format!("did you mean `{s}`?"));
                problems.push(
                    Problem::new(
                        ProblemKind::Reference,
                        file,
                        index.locate(&format!("probes[{i}].{field}")),
                        format!(
                            "`{field}` names `{name}`, a fact probe `{}` never returns, so it can never hold",
                            check.probe
                        ),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}

/// The regexes, templates and reference URLs of one rule file.
fn check_rule_file(
    env: &minijinja::Environment<'_>,
    file: &SourceFile,
    rule: &RuleFile,
    index: &LazyIndex<'_>,
    problems: &mut Vec<Problem>,
) {
    for (i, signature) in rule.signatures.iter().enumerate() {
        let Some(regex) = &signature.regex else {
            continue;
        };
        // A regex that does not parse is already reported by the load; one that parses
        // but does not compile (too large) is reported here.
        if crate::rule_regex::parse(regex).is_err() {
            continue;
        }
        if let Err(reason) = crate::model::rules::compile_signature_regex(regex) {
            problems.push(Problem::new(
                ProblemKind::Regex,
                file,
                index.locate(&format!("signatures[{i}].regex")),
                format!("regex does not compile: {reason}"),
            ));
        }
    }
    for (path, text) in templates(rule) {
        check_template(env, file, index.locate(&path), &path, text, problems);
    }
    check_urls(file, &rule.references, "references", index, problems);
}

/// Reports each reference URL that is not an http(s) address.
fn check_urls(
    file: &SourceFile,
    references: &[Reference],
    path: &str,
    index: &LazyIndex<'_>,
    problems: &mut Vec<Problem>,
) {
    for (j, reference) in references.iter().enumerate() {
        if reference.is_web() {
            continue;
        }
        problems.push(
            Problem::new(
                ProblemKind::Value,
                file,
                index.locate(&format!("{path}[{j}].url")),
                format!("reference URL `{}` is not an http(s) URL", reference.url),
            )
            .with_hint(Some(
                "pages link only to http:// and https:// addresses; this one is shown as text"
                    .into(),
            )),
        );
    }
}

/// Every template text of a rule with its key path.
fn templates(rule: &RuleFile) -> Vec<(String, &str)> {
    let mut all = vec![
        ("title".to_string(), rule.title.as_str()),
        ("summary".to_string(), rule.summary.as_str()),
    ];
    for (i, cause) in rule.causes.iter().enumerate() {
        all.push((format!("causes[{i}]"), cause.as_str()));
    }
    for (i, step) in rule.steps.iter().enumerate() {
        all.push((format!("steps[{i}].title"), step.title.as_str()));
        all.push((format!("steps[{i}].body"), step.body.as_str()));
        for (kind, command) in &step.commands {
            all.push((format!("steps[{i}].commands.{kind}"), command.as_str()));
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
        .filter(|v| {
            !TEMPLATE_VARIABLES.contains(&v.as_str()) && !env.globals().any(|(g, _)| g == v)
        })
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
    // Rendered once with typical values: a text that cannot finish within its budget (nested
    // loops, a huge repetition) would stall every report that shows it.
    let sample = minijinja::context! {
        host => "rdp.example.com", port => 3389, hosts => ["rdp.example.com"],
        code => "0x904", extended => "0x7", codes => ["0x904", "0x7"],
        probes => minijinja::context! {},
    };
    if let Err(error) = crate::render::render_within(&template, sample, TEXT_BUDGET.output) {
        if is_over_budget(&error) {
            problems.push(
                Problem::new(
                    ProblemKind::Template,
                    file,
                    position,
                    format!(
                        "template `{path}` does not finish within its budget ({} steps, {} KiB of output)",
                        TEXT_BUDGET.fuel,
                        TEXT_BUDGET.output / 1024
                    ),
                )
                .with_hint(Some("a rule's text is a few lines: loop over what the paste gave, not over ranges".into())),
            );
        }
    }
}
