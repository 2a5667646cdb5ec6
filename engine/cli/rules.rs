//! `rules check`, `list`, `test`, `new` and `patterns`: the knowledge's own tools.

use super::*;

#[derive(Serialize)]
pub(super) struct RuleRow {
    id: String,
    category: String,
    codes: Vec<String>,
    origin: String,
    examples: usize,
    counter_examples: usize,
}

/// The JSON of `rules check`.
#[derive(Debug, Serialize)]
pub(super) struct CheckReport<'a> {
    ok: bool,
    files: usize,
    rules: usize,
    probes: usize,
    catalog_entries: usize,
    problems: Vec<CheckProblem<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct CheckProblem<'a> {
    kind: crate::catalog::ProblemKind,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
    snippet: Option<&'a str>,
}

/// `rules check`: every problem of every layer, then a one-line verdict; exit 3 on problems.
pub(super) fn check_rules(layers: &[Layer], format: ListFormat) -> u8 {
    use std::fmt::Write as _;
    let (knowledge, problems) = crate::check::check(layers);
    let files: usize = layers.iter().map(|l| l.files.len()).sum();
    // The text of a problem's file, for the excerpt.
    let source =
        |p: &Problem| crate::catalog::source_file(layers, &p.origin).map(|f| f.text.as_str());
    let out = match format {
        ListFormat::Json => {
            let report = CheckReport {
                ok: problems.is_empty(),
                files,
                rules: knowledge.rules.len(),
                probes: knowledge.probes.len(),
                catalog_entries: knowledge.catalog.entries().len(),
                problems: problems
                    .iter()
                    .map(|p| CheckProblem {
                        kind: p.kind,
                        file: p.file(),
                        line: p.line,
                        column: p.column,
                        message: &p.message,
                        hint: p.hint.as_deref(),
                        snippet: source(p).and_then(|text| p.source_line(text)),
                    })
                    .collect(),
            };
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        ListFormat::Text => {
            let mut out = String::new();
            for problem in &problems {
                let _ = writeln!(out, "error: {}\n", problem.render(source(problem)));
            }
            let _ = writeln!(
                out,
                "{}: {files} files, {} rules, {} probe scripts, {} catalog entries",
                if problems.is_empty() {
                    "ok".to_string()
                } else {
                    format!(
                        "{} problem{}",
                        problems.len(),
                        if problems.len() == 1 { "" } else { "s" }
                    )
                },
                knowledge.rules.len(),
                knowledge.probes.len(),
                knowledge.catalog.entries().len()
            );
            out
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    if problems.is_empty() {
        EXIT_DIAGNOSED
    } else {
        EXIT_RULESET
    }
}

pub(super) fn list_rules(
    knowledge: &Knowledge,
    category: Option<Category>,
    only_extra: bool,
    format: ListFormat,
) -> u8 {
    let rows: Vec<RuleRow> = knowledge
        .rules
        .iter()
        .filter(|r| category.is_none_or(|c| r.category == c))
        .filter(|r| !only_extra || matches!(r.origin, crate::catalog::Origin::File(_)))
        .map(|r| RuleRow {
            id: r.id.clone(),
            category: r.category.as_str().to_string(),
            codes: r
                .codes
                .iter()
                .map(|c| event_in_decimal(&c.to_string()))
                .collect(),
            origin: r.origin.to_string(),
            examples: r.examples.len(),
            counter_examples: r.counter_examples.len(),
        })
        .collect();
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        // The codes come last and take what the line has left; the rest are counted.
        let fixed = |f: fn(&RuleRow) -> usize, header: &str| {
            rows.iter().map(f).max().unwrap_or(0).max(header.len()) + 2
        };
        let used = fixed(|r| r.id.chars().count(), "id")
            + fixed(|r| r.category.len(), "category")
            + fixed(|_| 5, "examples")
            + fixed(|r| shown_origin(&r.origin).chars().count(), "origin");
        let room = terminal_width().saturating_sub(used).max(24);
        out.push_str(&table(
            ["id", "category", "examples", "origin", "codes"],
            rows.iter()
                .map(|row| {
                    [
                        row.id.clone(),
                        row.category.clone(),
                        format!("{}/{}", row.examples, row.counter_examples),
                        shown_origin(&row.origin).to_string(),
                        codes_within(&row.codes, room),
                    ]
                })
                .collect(),
            &[2],
        ));
        let _ = writeln!(
            out,
            "{} rules (`rules list --format json` lists every code)",
            rows.len()
        );
    })
}

/// Where a rule comes from, as the table shows it: `embedded`, or the file of an extra folder
/// (JSON has the embedded path too).
fn shown_origin(origin: &str) -> &str {
    if origin.starts_with("embedded ") {
        "embedded"
    } else {
        origin
    }
}

/// As many of `codes` as fit in `room` characters, then how many more there are.
fn codes_within(codes: &[String], room: usize) -> String {
    let mut shown = String::new();
    for (i, code) in codes.iter().enumerate() {
        let rest = codes.len() - i;
        let more = if rest > 1 {
            format!(" +{} more", rest - 1)
        } else {
            String::new()
        };
        let next = if shown.is_empty() {
            code.clone()
        } else {
            format!("{shown} {code}")
        };
        if i > 0 && next.chars().count() + more.len() > room {
            return format!("{shown} +{rest} more");
        }
        shown = next;
    }
    shown
}

/// `event:0x1284` as people write it, `event:4740`; other codes as they are.
fn event_in_decimal(code: &str) -> String {
    code.strip_prefix("event:0x")
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .map_or_else(|| code.to_string(), |n| format!("event:{n}"))
}

pub(super) fn test_rules(knowledge: &Knowledge, only: &[String], format: ListFormat) -> u8 {
    use std::fmt::Write as _;
    if let Some(unknown) = only.iter().find(|id| knowledge.rule(id).is_none()) {
        let ids: Vec<&str> = knowledge.rules.iter().map(|r| r.id.as_str()).collect();
        let hint = crate::catalog::suggest(unknown, &ids)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return fail(&format!(
            "no rule `{unknown}` and no folder of that name{hint}"
        ));
    }
    let mut outcomes = check_examples(knowledge);
    if !only.is_empty() {
        outcomes.retain(|o| only.contains(&o.rule));
    }
    let all_passed = outcomes.iter().all(|o| o.passed);
    if format == ListFormat::Json {
        #[derive(Serialize)]
        struct Row<'a> {
            #[serde(flatten)]
            outcome: &'a crate::matcher::ExampleOutcome,
            text: &'a str,
        }
        let rows: Vec<Row> = outcomes
            .iter()
            .filter_map(|o| {
                let rule = knowledge.rule(&o.rule)?;
                let list = if o.counter {
                    &rule.counter_examples
                } else {
                    &rule.examples
                };
                let text = list.get(o.index)?.text.as_str();
                Some(Row { outcome: o, text })
            })
            .collect();
        let json = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
        let _ = std::io::stdout().lock().write_all(json.as_bytes());
        return if all_passed {
            EXIT_DIAGNOSED
        } else {
            EXIT_NO_MATCH
        };
    }
    let mut rows = Vec::new();
    for rule in knowledge
        .rules
        .iter()
        .filter(|r| only.is_empty() || only.contains(&r.id))
    {
        let mine: Vec<_> = outcomes.iter().filter(|o| o.rule == rule.id).collect();
        let count = |counter: bool| {
            let all: Vec<_> = mine.iter().filter(|o| o.counter == counter).collect();
            let passed = all.iter().filter(|o| o.passed).count();
            format!("{passed}/{}", all.len())
        };
        let failed = mine.iter().filter(|o| !o.passed).count();
        rows.push([
            rule.id.clone(),
            count(false),
            count(true),
            if failed == 0 {
                "-".to_string()
            } else {
                failed.to_string()
            },
            rule.origin.to_string(),
        ]);
    }
    let mut out = table(
        ["rule", "examples", "counter", "failed", "origin"],
        rows,
        &[1, 2, 3],
    );
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFailures:");
    }
    for o in &failed {
        let kind = if o.counter {
            "counter-example"
        } else {
            "example"
        };
        let why = if o.counter {
            format!("the rule matched it through {}", o.matched.join("; "))
        } else {
            let first = o.top.first().map(String::as_str).unwrap_or("nothing");
            match o.rank {
                Some(rank) => format!(
                    "the rule ranked #{rank}; {first} ranked first (top 3: {})",
                    o.top.join(", ")
                ),
                None => format!(
                    "no signature of the rule matched; {first} ranked first (top 3: {})",
                    o.top.join(", ")
                ),
            }
        };
        let _ = writeln!(out, "  FAIL {} {kind} {}: {why}", o.rule, o.index + 1);
    }
    let _ = writeln!(
        out,
        "\n{} of {} examples and counter-examples passed{}",
        outcomes.len() - failed.len(),
        outcomes.len(),
        if failed.is_empty() {
            ""
        } else {
            " (`rules test --trace PASTE` shows how each rule scored)"
        }
    );
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if failed.is_empty() {
        EXIT_DIAGNOSED
    } else {
        EXIT_NO_MATCH
    }
}

/// `rules new`: a skeleton rule that loads as it is, with every field explained.
pub(super) fn new_rule(
    knowledge: &Knowledge,
    id: &str,
    category: Category,
    dir: &std::path::Path,
) -> u8 {
    let kebab = !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !kebab {
        return fail(&format!(
            "`{id}` is not a kebab-case id (lower-case letters, digits and single dashes)"
        ));
    }
    let folder = dir.join("rules").join(category.as_str());
    let path = folder.join(format!("{id}.yaml"));
    if path.exists() {
        return fail(&format!("{} exists already", path.display()));
    }
    let mut notes = Vec::new();
    if let Some(rule) = knowledge.rule(id) {
        notes.push(format!(
            "rule `{id}` exists in {}; this file will replace it wherever this folder is layered",
            rule.origin
        ));
    }
    let schema_path = dir.join("rule.schema.json");
    let skeleton = RULE_SKELETON
        .replace("{id}", id)
        .replace("{category}", category.as_str());
    let written = std::fs::create_dir_all(&folder)
        .and_then(|_| std::fs::write(&path, skeleton))
        .and_then(|_| {
            if schema_path.exists() {
                return Ok(());
            }
            let schema =
                serde_json::to_string_pretty(&crate::catalog::rule_schema()).unwrap_or_default();
            std::fs::write(&schema_path, schema + "\n")
        });
    if let Err(error) = written {
        return fail(&format!("cannot write {}: {error}", path.display()));
    }
    let mut out = format!(
        "wrote {}\nnext: fill it in, then `rdp-doctor rules check {}` and `rdp-doctor rules test {} {id}`\n",
        path.display(),
        dir.display(),
        dir.display()
    );
    for note in notes {
        out.push_str(&format!("note: {note}\n"));
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    EXIT_DIAGNOSED
}

/// The skeleton `rules new` writes; `{id}` and `{category}` are filled in.
pub(super) const RULE_SKELETON: &str = r#"# yaml-language-server: $schema=../../rule.schema.json
# A diagnosis rule. Every field is explained in AUTHORING.md; `rdp-doctor rules check DIR`
# checks this file and `rdp-doctor rules test DIR {id}` runs its examples.
id: {id}
title: "TODO: what went wrong, in one line"
category: {category}
summary: >-
  TODO: a few sentences on what happens, for someone who sees this error. Texts may use
  {{ host }}, {{ code }} and {{ extended }} (from the paste) and {{ probes.NAME.FACT }}.
codes: []                         # e.g. [disconnect:0x904, extended:0x7]
signatures:                       # each: one of codes / text / regex / message, and a weight
  - text: "TODO: words of the error message, as users paste them"
    weight: 2
  # - { codes: [disconnect:0x904, extended:0x7], weight: 3 }
  # - { regex: "(?i)certificate[^.]{0,40}expired", weight: 2 }
  # - { message: other:identity-warning, weight: 1 }
probes: []                        # e.g. - { probe: tls_certificate, confirms_when: "tls && expired" }
causes:
  - "TODO: why it happens on {{ host }}"
steps:                            # in order; side: client (the user) or server (an administrator)
  - title: "TODO: the first thing to check"
    side: client
    body: >-
      TODO: how, and what the result means.
    commands:
      powershell: |-
        Test-NetConnection -ComputerName {{ host }} -Port 3389
references:
  - { title: "TODO: the document behind the advice", url: "https://learn.microsoft.com/" }
examples:                         # real pastes that must rank this rule in the top 3
  - text: "TODO: paste a real error text here"
    source: "TODO: where it came from (a ticket, a URL)"
counter_examples: []              # real pastes that must not match this rule
"#;

/// `rules test --trace PASTE`: every rule's score for one paste, and why each signature did or
/// did not match.
pub(super) fn trace_paste(knowledge: &Knowledge, paste: &str) -> u8 {
    use std::fmt::Write as _;
    let text = if paste == "-" {
        let mut bytes = Vec::new();
        if let Err(error) = std::io::stdin().lock().read_to_end(&mut bytes) {
            return fail(&format!("cannot read standard input: {error}"));
        }
        Paste::from_bytes(bytes).text
    } else {
        paste.to_string()
    };
    let extraction = Extractor::new(knowledge).extract(&text);
    let candidates = Matcher::new(knowledge).rank(&extraction, &text);
    let mut out = String::new();
    let codes: Vec<String> = extraction
        .codes
        .iter()
        .map(|c| format!("{} ({})", c.code, c.role.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "Codes found: {}",
        if codes.is_empty() {
            "none".to_string()
        } else {
            codes.join(", ")
        }
    );
    let _ = writeln!(out, "\nRules that matched, best first:");
    for (rank, candidate) in candidates.iter().enumerate() {
        let rule = &knowledge.rules[candidate.rule];
        let _ = writeln!(
            out,
            "{:>3}. {} (raw {:+}, confidence {:.2})",
            rank + 1,
            rule.id,
            candidate.raw,
            candidate.score
        );
        for (s, signature) in rule.signatures.iter().enumerate() {
            let matched = candidate.evidence.iter().find(|e| e.signature == s);
            let status = match matched {
                Some(e) => {
                    let words: Vec<String> = e
                        .spans
                        .iter()
                        .take(2)
                        .map(|span| format!("\"{}\"", span.slice(&text).trim()))
                        .collect();
                    format!("matched ({:+}): {}", e.weight, words.join(", "))
                }
                None => format!("not in the paste ({:+})", signature.weight),
            };
            let _ = writeln!(out, "       {} - {status}", signature.describe());
        }
    }
    if candidates.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let unmatched: Vec<&str> = knowledge
        .rules
        .iter()
        .enumerate()
        .filter(|(i, _)| !candidates.iter().any(|c| c.rule == *i))
        .map(|(_, r)| r.id.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\nRules with no matching signature, or a raw score of zero or less ({}): {}",
        unmatched.len(),
        unmatched.join(", ")
    );
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if candidates.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_DIAGNOSED
    }
}

pub(super) fn print_patterns(knowledge: &Knowledge) -> u8 {
    let mut out = String::new();
    for rule in &knowledge.rules {
        for signature in &rule.signatures {
            let pattern = match &signature.pattern {
                Pattern::Text(text) => Some(crate::matcher::text_to_ere(text)),
                Pattern::Regex(regex) => crate::rule_regex::to_ere(regex.as_str()),
                Pattern::Message(key) => knowledge.catalog.by_key(key).map(|entry| {
                    entry
                        .messages
                        .values()
                        .flatten()
                        .map(|m| crate::matcher::text_to_ere(&m.replace("{host}", " ")))
                        .collect::<Vec<_>>()
                        .join("|")
                }),
                Pattern::Codes(codes) => Some(
                    codes
                        .iter()
                        .map(|c| crate::matcher::code_to_ere(c.code))
                        .collect::<Vec<_>>()
                        .join("|"),
                ),
            };
            if let Some(pattern) = pattern {
                out.push_str(&pattern);
                out.push('\n');
            }
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    EXIT_DIAGNOSED
}
