//! Turns ranked candidates into a report: the JSON contract, Markdown, or text for a terminal.
//!
//! The [`Report`] is the versioned JSON contract of the design (`version: 1`); Markdown and
//! text are views of the same report. Rule texts (summary, causes, steps, commands) are
//! minijinja templates rendered with what the paste revealed (`host`, `code`, `extended`,
//! `codes`, `hosts`).

mod neutralise;

pub use neutralise::Neutralise;

use std::cell::RefCell;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use indexmap::IndexMap;
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::catalog::{Knowledge, Reference, Side};
use crate::extract::{Extraction, Role};
use crate::probe::{
    CONFIRMED_WEIGHT, ProbeResult, ProbeVerdict, REFUTED_FACTOR, Target, UNNAMED_SHARE,
};
use crate::ranking::Ranking;
use crate::redact::Redactor;

/// The version of the JSON contract.
pub const REPORT_VERSION: u32 = 1;

/// What `host` says in advice when the paste names no host.
const NO_HOST: &str = "the remote computer";

/// What `host` says in a command when the paste names no host: a placeholder to replace.
const NO_HOST_COMMAND: &str = "<remote-computer>";

/// A diagnosis report: the JSON output contract.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Contract version.
    pub version: u32,
    /// What was recognised in the paste.
    pub input: InputReport,
    /// Candidate causes, best first.
    pub diagnoses: Vec<Diagnosis>,
    /// Facts about the run: input decoding, replaced rules, skipped files.
    pub notices: Vec<String>,
    /// What the probes found on the host, when one was given (`--host`, `probe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes: Option<ProbeReport>,
}

impl Report {
    /// False for a health report of probes alone (`probe`), which has no paste to show.
    pub fn from_paste(&self) -> bool {
        let input = &self.input;
        !(input.codes.is_empty() && input.hosts.is_empty() && input.messages.is_empty())
            || self.probes.is_none()
    }
}

/// The probes run against one host.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// The host and port probed.
    pub target: Target,
    /// When the results were recorded, for results replayed from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed_from: Option<String>,
    /// Every probe's result, in layer order.
    pub results: Vec<ProbeResult>,
}

/// What was recognised in the paste.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// Codes, in order of first appearance.
    pub codes: Vec<CodeReport>,
    /// Host names and addresses.
    pub hosts: Vec<String>,
    /// Catalog messages recognised.
    pub messages: Vec<MessageReport>,
}

/// One code of the paste.
#[derive(Debug, Clone, Serialize)]
pub struct CodeReport {
    /// Normalised code (`0x904`).
    pub code: String,
    /// The code as people write it for its role: decimal for an event ID (`36870`), else as
    /// `code`.
    pub shown: String,
    /// Most likely family, `null` when the catalog does not know the code.
    pub family: Option<String>,
    /// `error`, `extended`, `event_id`, `status` or `unknown`.
    pub role: String,
    /// The catalog's name for it.
    pub name: Option<String>,
    /// As written in the paste.
    pub written: String,
    /// Other families the number is defined in, when the role leaves it open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_readings: Vec<String>,
    /// Other numbers the paste wrote for it (`0x1000c`, FreeRDP's spelling of ERRINFO 0xc).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// One recognised message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageReport {
    /// The catalog entry's key.
    pub key: String,
    /// The entry's name.
    pub name: String,
    /// The language it matched in.
    pub lang: String,
    /// The words of the paste that matched.
    pub excerpt: String,
}

/// What a candidate is: a rule, or the catalog's meaning of something the paste names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisKind {
    /// A rule matched.
    Rule,
    /// A code or message the paste names that no matching rule explains: its catalog meaning.
    Catalog,
    /// Nothing was recognised; the rule shares words with the paste, nothing more.
    Related,
}

/// One candidate cause.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// A rule, or a catalog entry's meaning (ranked after every rule).
    pub kind: DiagnosisKind,
    /// Rule id (rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Catalog entry key, `disconnect:0x904` (catalog meanings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// Rule title, or the entry's family, code and name.
    pub title: String,
    /// Rule category, or the entry's (`other` when it has none).
    pub category: String,
    /// Confidence between 0 and 1.
    pub score: f64,
    /// The codes the rule explains.
    pub codes: Vec<String>,
    /// Why it matched: each signature and the words of the paste.
    pub evidence: Vec<String>,
    /// What goes wrong.
    pub summary: String,
    /// What to check first (catalog meanings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_first: Option<String>,
    /// Why it happens.
    pub causes: Vec<String>,
    /// What to do, in order.
    pub steps: Vec<StepReport>,
    /// What the rule's probes found (empty without `--host`).
    pub probes: Vec<ProbeVerdict>,
    /// Documentation.
    pub references: Vec<Reference>,
}

/// One remediation step, rendered.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// What the step does.
    pub title: String,
    /// `client` or `server`.
    pub side: Side,
    /// How and why.
    pub body: String,
    /// Exact commands by kind.
    pub commands: IndexMap<String, String>,
}

/// Builds the report of one paste: the rules that matched, then the meanings of what it names
/// that no rule explains.
///
/// Everything taken from the paste or the probes passes through `redactor` (an empty one
/// changes nothing) before it is shortened or rendered into a rule's text, so no part of a
/// hidden value reaches the report; the knowledge's own words are left as written.
pub fn build_report(
    knowledge: &Knowledge,
    text: &str,
    extraction: &Extraction,
    ranking: &Ranking,
    notices: &[String],
    probes: Option<&ProbeReport>,
    redactor: &Redactor,
) -> Report {
    let mut notices: Vec<String> = notices.iter().map(|n| redactor.apply(n)).collect();
    let probes = probes.map(|p| redact_probes(p, redactor));
    let probes = probes.as_ref();
    let env = template_environment();
    let first = |role: Role| {
        extraction
            .codes
            .iter()
            .find(|c| c.role == role)
            .map(|c| c.code.to_string())
            .unwrap_or_default()
    };
    let codes: Vec<CodeReport> = extraction
        .codes
        .iter()
        .map(|c| CodeReport {
            code: c.code.to_string(),
            shown: shown(&c.code.to_string(), c.role.as_str()),
            family: c.family().map(|f| f.as_str().to_string()),
            role: c.role.as_str().to_string(),
            name: c.name.clone(),
            written: redactor.apply(&c.written),
            aliases: c.aliases.iter().map(ToString::to_string).collect(),
            other_readings: c
                .readings
                .iter()
                .skip(1)
                .map(|f| f.as_str().to_string())
                .collect(),
        })
        .collect();
    let hosts: Vec<String> = extraction
        .hosts
        .iter()
        .map(|h| redactor.apply(&h.host))
        .collect();
    // Each probe's facts, with its status and summary, by probe name.
    let probe_vars: serde_json::Map<String, serde_json::Value> = probes
        .map(|p| {
            p.results
                .iter()
                .map(|r| {
                    let mut facts = r.facts.clone();
                    facts.insert("status".into(), r.status.as_str().into());
                    facts.insert("summary".into(), r.summary.clone().into());
                    (r.probe.clone(), serde_json::Value::Object(facts))
                })
                .collect()
        })
        .unwrap_or_default();
    let probed_host = probes.map(|p| p.target.host.as_str());
    let vars_with = |no_host: &str| {
        context! {
            host => probed_host.or(hosts.first().map(String::as_str)).unwrap_or(no_host),
            port => probes.map_or(3389, |p| p.target.port),
            hosts => &hosts,
            code => first(Role::Error),
            extended => first(Role::Extended),
            codes => Value::from(minijinja::value::Serde(&codes)),
            probes => Value::from(minijinja::value::Serde(&probe_vars)),
        }
    };
    // Prose reads "the remote computer"; a command needs a placeholder the user replaces.
    let vars = vars_with(NO_HOST);
    let command_vars = vars_with(NO_HOST_COMMAND);
    let mut diagnoses = Vec::new();
    for candidate in &ranking.candidates {
        let rule = &knowledge.rules[candidate.rule];
        let errors = RefCell::new(Vec::new());
        let render_with = |template: &str, vars: &Value| {
            // Most texts hold no template syntax; they need no parsing.
            if !template.contains("{{") && !template.contains("{%") && !template.contains("{#") {
                return template.to_string();
            }
            match render_text_template(&env, template, vars) {
                Ok(rendered) => rendered,
                Err(error) => {
                    let message = format!("rule `{}` has a template error: {error}", rule.id);
                    errors.borrow_mut().push(message);
                    template.to_string()
                }
            }
        };
        let render = |template: &str| render_with(template, &vars);
        let render_command = |template: &str| render_with(template, &command_vars);
        let named = !candidate.evidence.is_empty();
        let verdicts: Vec<ProbeVerdict> = candidate
            .probes
            .iter()
            .map(|v| redact_verdict(v, redactor))
            .collect();
        let probe_evidence = verdicts.iter().filter_map(|v| match v.verdict {
            "confirmed" if named => Some(format!(
                "confirmed by probe {} ({CONFIRMED_WEIGHT:+}): {}",
                v.probe, v.summary
            )),
            "confirmed" => Some(format!(
                "found by probe {} ({:+}; the paste does not name it): {}",
                v.probe,
                CONFIRMED_WEIGHT * UNNAMED_SHARE,
                v.summary
            )),
            "refuted" => Some(format!(
                "refuted by probe {} (score x{REFUTED_FACTOR}): {}",
                v.probe, v.summary
            )),
            _ => None,
        });
        let evidence = probe_evidence
            .chain(candidate.evidence.iter().map(|e| {
                let words: Vec<String> = e
                    .spans
                    .iter()
                    .take(3)
                    .map(|s| {
                        format!(
                            "\"{}\"",
                            excerpt(&redactor.apply_range(text, s.start..s.end))
                        )
                    })
                    .collect();
                format!("{} ({:+}): {}", e.description, e.weight, words.join(", "))
            }))
            .collect();
        diagnoses.push(Diagnosis {
            kind: DiagnosisKind::Rule,
            rule: Some(rule.id.clone()),
            entry: None,
            title: rule.title.clone(),
            category: rule.category.as_str().to_string(),
            score: candidate.score,
            codes: rule.codes.iter().map(|c| c.code.to_string()).collect(),
            evidence,
            summary: render(&rule.summary).trim().to_string(),
            check_first: None,
            // A cause that only applies with probe facts renders empty without them.
            causes: rule
                .causes
                .iter()
                .map(|c| render(c).trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
            steps: rule
                .steps
                .iter()
                .map(|step| StepReport {
                    title: render(&step.title).trim().to_string(),
                    side: step.side,
                    body: render(&step.body).trim().to_string(),
                    commands: step
                        .commands
                        .iter()
                        .map(|(kind, command)| {
                            (kind.clone(), render_command(command).trim_end().to_string())
                        })
                        .collect(),
                })
                .collect(),
            probes: verdicts,
            references: rule.references.clone(),
        });
        for error in errors.into_inner() {
            if !notices.contains(&error) {
                notices.push(error);
            }
        }
    }
    for meaning in &ranking.meanings {
        let entry = &knowledge.catalog.entries()[meaning.entry];
        let check_first = entry.check_first.as_ref().map(|template| {
            match render_text_template(&env, template, &vars) {
                Ok(rendered) => rendered.trim().to_string(),
                Err(error) => {
                    let message = format!(
                        "catalog entry `{}` has a template error: {error}",
                        entry.key()
                    );
                    if !notices.contains(&message) {
                        notices.push(message);
                    }
                    template.clone()
                }
            }
        });
        diagnoses.push(Diagnosis {
            kind: DiagnosisKind::Catalog,
            rule: None,
            entry: Some(entry.key()),
            title: entry.title(),
            category: entry
                .category
                .unwrap_or(crate::catalog::Category::Other)
                .as_str()
                .to_string(),
            score: meaning.score,
            codes: entry.code.iter().map(ToString::to_string).collect(),
            evidence: meaning
                .evidence
                .iter()
                .map(|named| {
                    let words: Vec<String> = named
                        .spans
                        .iter()
                        .take(3)
                        .map(|s| {
                            format!(
                                "\"{}\"",
                                excerpt(&redactor.apply_range(text, s.start..s.end))
                            )
                        })
                        .collect();
                    format!("{}: {}", named.description, words.join(", "))
                })
                .collect(),
            summary: entry.meaning.trim().to_string(),
            check_first,
            causes: Vec::new(),
            steps: Vec::new(),
            probes: Vec::new(),
            references: entry.references.clone(),
        });
    }
    let lead = if ranking.candidates.is_empty() && ranking.meanings.is_empty() {
        "no code or known message was recognised; "
    } else {
        "not recognised from a code or message, but "
    };
    for related in &ranking.related {
        let rule = &knowledge.rules[related.rule];
        diagnoses.push(Diagnosis {
            kind: DiagnosisKind::Related,
            rule: Some(rule.id.clone()),
            entry: None,
            title: rule.title.clone(),
            category: rule.category.as_str().to_string(),
            score: related.score,
            codes: rule.codes.iter().map(|c| c.code.to_string()).collect(),
            evidence: vec![format!(
                "possibly related: {lead}the paste shares the words {}",
                related.words.join(", ")
            )],
            summary: render_text_template(&env, &rule.summary, &vars)
                .map_or_else(|_| rule.summary.clone(), |s| s.trim().to_string()),
            check_first: None,
            causes: Vec::new(),
            steps: Vec::new(),
            probes: Vec::new(),
            references: rule.references.clone(),
        });
    }
    Report {
        version: REPORT_VERSION,
        input: InputReport {
            codes,
            hosts,
            messages: extraction
                .messages
                .iter()
                .map(|m| MessageReport {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    lang: m.lang.clone(),
                    excerpt: m
                        .spans
                        .first()
                        .map(|s| excerpt(&redactor.apply_range(text, s.start..s.end)))
                        .unwrap_or_default(),
                })
                .collect(),
        },
        diagnoses,
        notices,
        probes: probes.cloned(),
    }
}

/// The probes with every host, address and name they saw redacted.
fn redact_probes(probes: &ProbeReport, redactor: &Redactor) -> ProbeReport {
    let mut probes = probes.clone();
    probes.target.host = redactor.apply(&probes.target.host);
    probes.target.gateway = probes.target.gateway.map(|g| redactor.apply(&g));
    for result in &mut probes.results {
        result.summary = redactor.apply(&result.summary);
        result.notes = result.notes.iter().map(|n| redactor.apply(n)).collect();
        redact_facts(&mut result.facts, redactor);
    }
    probes
}

/// A probe's verdict on a rule, redacted.
fn redact_verdict(verdict: &ProbeVerdict, redactor: &Redactor) -> ProbeVerdict {
    let mut verdict = verdict.clone();
    verdict.summary = redactor.apply(&verdict.summary);
    redact_facts(&mut verdict.facts, redactor);
    verdict
}

fn redact_facts(facts: &mut serde_json::Map<String, serde_json::Value>, redactor: &Redactor) {
    if !redactor.is_empty() {
        facts.values_mut().for_each(|v| redactor.apply_json(v));
    }
}

/// What a catalog entry says to check first, for a page or `explain`: rendered without a paste,
/// so `{{ host }}` reads "the remote computer".
pub fn check_first_text(entry: &crate::catalog::CatalogEntry) -> Option<String> {
    let template = entry.check_first.as_ref()?;
    Some(
        render_without_paste(template)
            .map_or_else(|_| template.clone(), |text| text.trim().to_string()),
    )
}

/// Renders a rule's or entry's text `source` as it reads with no paste (`{{ host }}` is "the
/// remote computer"), within [`TEXT_BUDGET`].
pub fn render_without_paste(source: &str) -> Result<String, minijinja::Error> {
    let vars = context! { host => NO_HOST, port => 3389, hosts => Vec::<String>::new(), code => "", extended => "", codes => Vec::<String>::new(), probes => context! {} };
    // One environment for every text: the site asks for each of its code pages.
    static ENV: std::sync::LazyLock<Environment<'static>> =
        std::sync::LazyLock::new(template_environment);
    render_text_template(&ENV, source, &vars)
}

fn template_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEXT_BUDGET.fuel));
    env
}

pub use crate::limits::{PAGE_BUDGET, REPORT_BUDGET, TEXT_BUDGET, TemplateBudget};

/// Renders `template` with `vars`, stopping with an error once it writes more than `output`
/// bytes. (Its fuel is the environment's.)
pub fn render_within(
    template: &minijinja::Template<'_, '_>,
    vars: Value,
    output: usize,
) -> Result<String, minijinja::Error> {
    struct Bounded {
        bytes: Vec<u8>,
        limit: usize,
    }
    impl std::io::Write for Bounded {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.bytes.len() + buf.len() > self.limit {
                return Err(std::io::Error::other("output budget exhausted"));
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Bounded {
        bytes: Vec::new(),
        limit: output,
    };
    match template.render_captured_to(vars, &mut sink) {
        Ok(_) => Ok(String::from_utf8_lossy(&sink.bytes).into_owned()),
        Err(error) if error.kind() == minijinja::ErrorKind::WriteFailure => {
            Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("{OUTPUT_BUDGET_ERROR} of {output} bytes"),
            ))
        }
        Err(error) => Err(error),
    }
}

/// How [`render_within`] says the output budget ran out.
const OUTPUT_BUDGET_ERROR: &str = "the template wrote more than its budget";

/// True when `error` says a template ran out of fuel or of output.
pub fn is_over_budget(error: &minijinja::Error) -> bool {
    error.kind() == minijinja::ErrorKind::OutOfFuel
        || error
            .detail()
            .is_some_and(|d| d.starts_with(OUTPUT_BUDGET_ERROR))
}

/// Renders the text `source` in `env` within [`TEXT_BUDGET`].
fn render_text_template(
    env: &Environment<'_>,
    source: &str,
    vars: &Value,
) -> Result<String, minijinja::Error> {
    render_within(
        &env.template_from_str(source)?,
        vars.clone(),
        TEXT_BUDGET.output,
    )
}

/// A paste excerpt on one line, at most 120 characters.
fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        let cut: String = one_line.chars().take(117).collect();
        format!("{cut}...")
    } else {
        one_line
    }
}

/// The report as pretty JSON.
pub fn render_json(report: &Report) -> String {
    let mut json =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// The report as Markdown, for a ticket: short, or with every `detail`.
/// Renders the report with the knowledge's Markdown template (`site/report/diagnosis.md.j2`,
/// which an extra folder may replace).
pub fn render_markdown(
    knowledge: &Knowledge,
    report: &Report,
    detail: bool,
) -> Result<String, minijinja::Error> {
    let report = &report.neutralised();
    let mut env = Environment::new();
    env.set_fuel(Some(REPORT_BUDGET.fuel));
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_filter("family_label", family_label);
    env.add_filter("text", |text: String| markdown_text(&text));
    env.add_filter("code_span", |text: String| markdown_code_span(&text));
    env.add_filter("shown_code", |code: String, role: String| {
        shown(&code, &role)
    });
    env.add_filter("role_label", |role: String| role_label(&role).to_string());
    env.add_filter("command_label", |kind: String| {
        command_label(&kind).to_string()
    });
    // Every template of the knowledge, so a layer's template may include another.
    for (name, template) in &knowledge.templates {
        env.add_template_owned(name.clone(), template.text.clone())?;
    }
    render_within(
        &env.get_template("report/diagnosis.md.j2")?,
        context! {
            report => Value::from(minijinja::value::Serde(report)),
            pasted => report.from_paste(),
            detail => detail || !report.from_paste(),
        },
        REPORT_BUDGET.output,
    )
}

/// Text from a paste or a server as Markdown that shows it literally: characters Markdown or
/// HTML would act on are escaped (`<img onerror=...>` stays text, `[x](y)` is no link, `|`
/// does not end a table cell), and line breaks become spaces.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span: fenced by one backtick more than its longest run of them,
/// so it cannot close the span early; `|` escaped for table cells, line breaks as spaces.
pub fn markdown_code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ").replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn family_label(family: Option<String>) -> String {
    family
        .and_then(|f| f.parse::<crate::catalog::Family>().ok())
        .map_or("not in the catalog", |f| f.label())
        .to_string()
}

/// Text output options.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    /// Columns to wrap to.
    pub width: usize,
    /// Whether to emit ANSI colours.
    pub color: bool,
    /// Every candidate in full (evidence, causes, every step, references) instead of the short
    /// report that fits one screen.
    pub detail: bool,
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

const HEADING: Style = Style::new().bold();
const TITLE: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const DIM: Style = Style::new().dimmed();
const GOOD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const BAD: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const CODE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));

/// The report for a person at a terminal: the best candidate first, why, and what to do.
pub fn render_text(report: &Report, style: TextStyle) -> String {
    // Text from a paste, a server or a recording never reaches the terminal as control codes.
    let report = &report.neutralised();
    let p = Painter { color: style.color };
    let width = style.width.max(40);
    let mut out = String::new();
    for notice in &report.notices {
        let _ = writeln!(out, "{} {notice}", p.paint(DIM, "note:"));
    }
    if !report.notices.is_empty() {
        out.push('\n');
    }
    let input = &report.input;
    let pasted = report.from_paste();
    if let Some(probes) = &report.probes {
        render_probes_text(&mut out, probes, &p, width);
    }
    if !pasted && !style.detail {
        return render_short_findings(out, report, &p, width);
    }
    if !pasted {
        return render_causes_text(
            out,
            report,
            &p,
            width,
            "No probe found a problem with a known remedy.",
            "Findings and what to do",
        );
    }
    if !style.detail {
        return render_short_text(out, report, &p, width);
    }
    let _ = writeln!(out, "{}", p.paint(HEADING, "Recognised in the paste"));
    if input.codes.is_empty() && input.hosts.is_empty() && input.messages.is_empty() {
        let _ = writeln!(out, "  nothing: no code, host or known message");
    }
    for code in &input.codes {
        let family = family_label(code.family.clone());
        let name = code.name.as_deref().unwrap_or("unknown code");
        let role = role_label(&code.role);
        let mut line = format!(
            "  {} {role}, {family}: {name}",
            p.paint(CODE, &format!("{:<10}", shown_code(code))),
        );
        if code.written != code.code && code.written != shown_code(code) {
            let _ = write!(line, " (written {})", code.written);
        }
        if !code.other_readings.is_empty() {
            let _ = write!(line, "; also defined as {}", code.other_readings.join(", "));
        }
        push_wrapped(&mut out, &line, width, 13);
    }
    for host in &input.hosts {
        let _ = writeln!(
            out,
            "  {} {host}",
            p.paint(CODE, &format!("{:<10}", "host"))
        );
    }
    for message in &input.messages {
        let line = format!(
            "  {} {} ({}, {}): \"{}\"",
            p.paint(CODE, &format!("{:<10}", "message")),
            message.name,
            message.key,
            message.lang,
            message.excerpt
        );
        push_wrapped(&mut out, &line, width, 13);
    }
    out.push('\n');
    render_causes_text(
        out,
        report,
        &p,
        width,
        "No rule matched this paste.",
        "Likely causes, best first",
    )
}

/// The "Checked on host" section: every probe's status and summary.
fn render_probes_text(out: &mut String, probes: &ProbeReport, p: &Painter, width: usize) {
    let mut heading = format!("Checked on {}", probes.target.display());
    if let Some(gateway) = &probes.target.gateway {
        let _ = write!(heading, " via {gateway}");
    }
    if let Some(recorded) = &probes.replayed_from {
        let _ = write!(heading, " (replayed from a recording of {recorded})");
    }
    let _ = writeln!(out, "{}", p.paint(HEADING, &heading));
    for result in &probes.results {
        let (label, style) = match result.status {
            crate::probe::Status::Pass => ("pass", GOOD),
            crate::probe::Status::Fail => ("FAIL", BAD),
            crate::probe::Status::Error => ("error", BAD),
            crate::probe::Status::Skipped => ("skipped", DIM),
        };
        let line = format!(
            "  {} {:<21} {}",
            p.paint(style, &format!("{label:<7}")),
            result.probe,
            result.summary
        );
        push_wrapped(out, &line, width, 32);
    }
    out.push('\n');
}

fn render_causes_text(
    mut out: String,
    report: &Report,
    p: &Painter,
    width: usize,
    none: &str,
    heading: &str,
) -> String {
    if report.diagnoses.is_empty() {
        let _ = writeln!(out, "{}", p.paint(HEADING, none));
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        p.paint(HEADING, &format!("{heading} ({})", report.diagnoses.len()))
    );
    for (n, diagnosis) in report.diagnoses.iter().enumerate() {
        out.push('\n');
        let title = format!("{}. {}", n + 1, diagnosis.title);
        push_wrapped(&mut out, &p.paint(TITLE, &title), width, 3);
        let _ = writeln!(out, "   {}", p.paint(DIM, &provenance(diagnosis)));
        if !diagnosis.summary.is_empty() {
            push_paragraph(&mut out, &diagnosis.summary, width, "   ", "   ");
        }
        let _ = writeln!(out, "   {}", p.paint(HEADING, "Evidence"));
        for evidence in &diagnosis.evidence {
            push_paragraph(&mut out, evidence, width, "   - ", "     ");
        }
        if let Some(check_first) = &diagnosis.check_first {
            let _ = writeln!(out, "   {}", p.paint(HEADING, "What to check first"));
            push_paragraph(&mut out, check_first, width, "   ", "   ");
        }
        if !diagnosis.causes.is_empty() {
            let _ = writeln!(out, "   {}", p.paint(HEADING, "Why it happens"));
            for cause in &diagnosis.causes {
                push_paragraph(&mut out, cause, width, "   - ", "     ");
            }
        }
        if !diagnosis.steps.is_empty() {
            let _ = writeln!(out, "   {}", p.paint(HEADING, "What to do, in order"));
            for (i, step) in diagnosis.steps.iter().enumerate() {
                let number = format!("   {}. ", i + 1);
                let indent = " ".repeat(number.chars().count());
                let title = format!("{} {}", side_label(step.side), step.title);
                push_paragraph(&mut out, &title, width, &number, &indent);
                if !step.body.is_empty() {
                    for paragraph in step.body.split("\n\n") {
                        push_paragraph(&mut out, paragraph, width, &indent, &indent);
                    }
                }
                for (kind, command) in &step.commands {
                    let _ = writeln!(
                        out,
                        "{indent}{}",
                        p.paint(DIM, &format!("{}:", command_label(kind)))
                    );
                    for line in command.lines() {
                        let _ = writeln!(out, "{indent}  {}", p.paint(GOOD, line));
                    }
                }
            }
        }
        if !diagnosis.references.is_empty() {
            let _ = writeln!(out, "   {}", p.paint(HEADING, "References"));
            for reference in &diagnosis.references {
                push_paragraph(
                    &mut out,
                    &format!("{} <{}>", reference.title, reference.url),
                    width,
                    "   - ",
                    "     ",
                );
            }
        }
    }
    out
}

/// How many steps of the best candidate the short report lists.
const SHORT_STEPS: usize = 3;

/// The report that fits one screen: a verdict, what was recognised, one line per candidate, and
/// the best candidate's summary and first steps; `--detail` gives the rest.
fn render_short_text(mut out: String, report: &Report, p: &Painter, width: usize) -> String {
    let input = &report.input;
    let Some(best) = report.diagnoses.first() else {
        let _ = writeln!(out, "{}", p.paint(HEADING, "No rule matched this paste."));
        push_paragraph(&mut out, &recognised_line(input), width, "", "  ");
        out.push('\n');
        return out;
    };
    let verdict = match best.kind {
        DiagnosisKind::Related => "Possibly",
        _ => "Most likely",
    };
    push_paragraph(
        &mut out,
        &p.paint(TITLE, &format!("{verdict}: {}", best.title)),
        width,
        "",
        "  ",
    );
    let _ = writeln!(out, "  {}", p.paint(DIM, &provenance(best)));
    push_paragraph(&mut out, &recognised_line(input), width, "", "  ");
    out.push('\n');
    let count = report.diagnoses.len();
    let noun = if count == 1 {
        "candidate"
    } else {
        "candidates"
    };
    let _ = writeln!(
        out,
        "{}",
        p.paint(HEADING, &format!("{count} {noun}, best first"))
    );
    push_candidate_lines(&mut out, report, width);
    out.push('\n');
    let _ = writeln!(out, "{}", p.paint(HEADING, "In short"));
    if !best.summary.is_empty() {
        push_paragraph(&mut out, &best.summary, width, "  ", "  ");
    } else if let Some(check_first) = &best.check_first {
        push_paragraph(&mut out, check_first, width, "  ", "  ");
    }
    push_first_steps(&mut out, best, p, width);
    out
}

/// The short report of `probe`: the probes' table (already in `out`), each finding as one
/// line, the first finding's first steps, and how to see more.
fn render_short_findings(mut out: String, report: &Report, p: &Painter, width: usize) -> String {
    let Some(best) = report.diagnoses.first() else {
        let _ = writeln!(
            out,
            "{}",
            p.paint(HEADING, "No probe found a problem with a known remedy.")
        );
        return out;
    };
    let _ = writeln!(
        out,
        "{}",
        p.paint(HEADING, &format!("Findings ({})", report.diagnoses.len()))
    );
    push_candidate_lines(&mut out, report, width);
    out.push('\n');
    let _ = writeln!(out, "{}", p.paint(TITLE, &best.title));
    push_first_steps(&mut out, best, p, width);
    out
}

/// Each candidate as one line: rank, confidence, category and title.
fn push_candidate_lines(out: &mut String, report: &Report, width: usize) {
    let category_width = report
        .diagnoses
        .iter()
        .map(|d| d.category.chars().count())
        .max()
        .unwrap_or(0);
    for (n, diagnosis) in report.diagnoses.iter().enumerate() {
        let lead = format!(
            "  {:>2}. {:.2}  {:<category_width$}  ",
            n + 1,
            diagnosis.score,
            diagnosis.category
        );
        let room = width.saturating_sub(lead.chars().count()).max(20);
        let mut title = diagnosis.title.clone();
        if diagnosis.kind == DiagnosisKind::Related {
            title.insert_str(0, "(possibly related) ");
        }
        let _ = writeln!(out, "{lead}{}", shorten(&title, room));
    }
}

/// The first steps of a candidate with their sides, and the last line saying how to see more.
fn push_first_steps(out: &mut String, best: &Diagnosis, p: &Painter, width: usize) {
    if !best.steps.is_empty() {
        let _ = writeln!(out, "{}", p.paint(HEADING, "First steps"));
        for (i, step) in best.steps.iter().take(SHORT_STEPS).enumerate() {
            let number = format!("  {}. ", i + 1);
            let indent = " ".repeat(number.chars().count());
            let title = format!("{} {}", side_label(step.side), step.title);
            push_paragraph(out, &title, width, &number, &indent);
        }
    }
    out.push('\n');
    let steps = if best.steps.len() > SHORT_STEPS {
        format!("all {} steps", best.steps.len())
    } else {
        "steps".to_string()
    };
    let more = format!("More: --detail (evidence, causes, {steps} with commands, references)");
    push_paragraph(out, &p.paint(DIM, &more), width, "", "");
}

/// Where a candidate comes from, in one line: its category, confidence and rule or entry.
fn provenance(diagnosis: &Diagnosis) -> String {
    match (&diagnosis.rule, &diagnosis.entry) {
        (Some(rule), _) if diagnosis.kind == DiagnosisKind::Related => format!(
            "{} | confidence {:.2} | possibly related rule {rule}",
            diagnosis.category, diagnosis.score
        ),
        (Some(rule), _) => format!(
            "{} | confidence {:.2} | rule {rule}",
            diagnosis.category, diagnosis.score
        ),
        (None, entry) => format!(
            "{} | confidence {:.2} | catalog meaning {} (no rule explains it)",
            diagnosis.category,
            diagnosis.score,
            entry.as_deref().unwrap_or_default()
        ),
    }
}

/// What the paste was read to contain, as one sentence.
fn recognised_line(input: &InputReport) -> String {
    let mut parts: Vec<String> = Vec::new();
    for code in &input.codes {
        let name = code.name.as_deref().unwrap_or("unknown code");
        parts.push(format!(
            "{} {} ({name})",
            role_label(&code.role),
            shown_code(code)
        ));
    }
    for host in &input.hosts {
        parts.push(format!("host {host}"));
    }
    for message in &input.messages {
        parts.push(format!("message \"{}\"", message.name));
    }
    if parts.is_empty() {
        "Recognised: nothing (no code, host or known message).".to_string()
    } else {
        format!("Recognised: {}.", parts.join(", "))
    }
}

/// `text` cut to `room` characters, with an ellipsis when cut.
/// The text cut to `room` characters, ending in `…` when cut.
pub fn shorten(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    let cut: String = text.chars().take(room.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// The side of a step as a label before its title.
fn side_label(side: Side) -> &'static str {
    match side {
        Side::Client => "[client]",
        Side::Server => "[server]",
    }
}

/// A code as the report shows it: an event ID in decimal (`1149`), any other code in hex.
fn shown_code(code: &CodeReport) -> String {
    code.shown.clone()
}

/// `code` (hex) in the notation people use for its `role`: decimal for an event ID.
fn shown(code: &str, role: &str) -> String {
    match (role, code.strip_prefix("0x")) {
        ("event_id", Some(hex)) => {
            u32::from_str_radix(hex, 16).map_or_else(|_| code.to_string(), |n| n.to_string())
        }
        _ => code.to_string(),
    }
}

fn role_label(role: &str) -> &'static str {
    match role {
        "error" => "error code",
        "extended" => "extended code",
        "event_id" => "event ID",
        "status" => "status",
        _ => "code",
    }
}

/// The heading of a command kind in text and Markdown output.
pub fn command_label(kind: &str) -> &str {
    match kind {
        "powershell" => "PowerShell",
        "cmd" => "Command prompt",
        "registry" => "Registry",
        "group_policy" => "Group Policy",
        "azure_cli" => "Azure CLI",
        "azure_run_command" => "Azure portal, Run command (RunPowerShellScript)",
        "bash" => "Shell",
        other => other,
    }
}

fn push_wrapped(out: &mut String, line: &str, width: usize, hang: usize) {
    let indent = " ".repeat(hang);
    let options = textwrap::Options::new(width)
        .subsequent_indent(&indent)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::AsciiSpace);
    for wrapped in textwrap::wrap(line, options) {
        out.push_str(&wrapped);
        out.push('\n');
    }
}

/// Appends `text` wrapped to `width`, its first line after `first`, the others after `rest`.
pub(crate) fn push_paragraph(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let joined: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // URLs, rule ids, CVE ids and commands are copied: never split inside a word or at its
    // hyphens, even when the word is wider than the line.
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::AsciiSpace);
    for wrapped in textwrap::wrap(&joined, options) {
        out.push_str(&wrapped);
        out.push('\n');
    }
}
