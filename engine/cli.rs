//! The command line: parses arguments, reads the user's input, runs the stages, prints.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::catalog::{CatalogEntry, Category, Code, Family, Knowledge, Layer, Pattern, Problem};
use crate::extract::{Extractor, Paste};
use crate::matcher::{Matcher, check_examples};
use crate::probe::net::{GatewayUrl, Limits};
use crate::probe::{self, Recording, RunOptions, Status, Target};
use crate::render::{self, ProbeReport, TextStyle};
use std::sync::Arc;
use std::time::Duration;

/// Exit code: a diagnosis was made (or the command succeeded).
pub const EXIT_DIAGNOSED: u8 = 0;
/// Exit code: nothing matched.
pub const EXIT_NO_MATCH: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the knowledge base has problems.
pub const EXIT_RULESET: u8 = 3;

/// Diagnose Microsoft Remote Desktop (RDP) connection failures from pasted error text.
#[derive(Debug, Parser)]
#[command(name = "rdp-doctor", version, about, long_about = None)]
pub struct Cli {
    /// Extra knowledge folder layered over the embedded one, the user's folder and
    /// RDP_DOCTOR_RULES (repeatable; a later folder wins).
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,

    /// Treat any problem in the knowledge files as an error (exit code 3).
    #[arg(long, global = true)]
    pub strict: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a pasted error message: codes found, likely causes ranked, what to do.
    Diagnose(DiagnoseArgs),
    /// Explain what a code means, in every family that defines it.
    Explain(ExplainArgs),
    /// Check a live host: name, TCP port, RDP security negotiation, TLS certificate, NLA and
    /// (with --gateway) the RD Gateway; a health report with the remedy for each problem.
    Probe(ProbeArgs),
    /// Work with the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Work with the error-code catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Build the static troubleshooting website.
    #[command(subcommand)]
    Site(SiteCommand),
}

/// `site` subcommands.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Write the website into a folder: a page per rule, code and category, search, and a
    /// paste box that diagnoses in the browser. It works from file:// and any static host.
    Build {
        /// The folder to write (created when missing; files of the site are replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The URL the site will be served from, for the sitemap, canonical links and the
        /// 404 page (`https://help.example.com/rdp/`).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
}

/// `catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List catalog entries with family, code, symbol and name.
    List {
        /// Only entries of this family (`disconnect_reason`, or its prefix `disconnect`).
        #[arg(long, value_parser = parse_family)]
        family: Option<Family>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Per family: how many codes the catalog defines, how many a rule explains, and how many
    /// of those rules have examples and counter-examples.
    Coverage {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

fn parse_family(text: &str) -> Result<Family, String> {
    Family::from_prefix(text).ok_or_else(|| {
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown family; one of: {}", names.join(", "))
    })
}

/// Arguments of `diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The pasted text; `-` reads standard input. Several words are joined by spaces.
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// Read the paste from a file.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "text")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Wrap text output to this many columns (default: the terminal's width, or 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Probe this host (`HOST[:PORT]`, port 3389 unless given) and re-rank the causes with what
    /// the probes find. Nothing is probed without it.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub host: Option<String>,
    /// Also probe this RD Gateway (`https://gateway.example.com`).
    #[arg(long, value_name = "URL", requires = "host")]
    pub gateway: Option<String>,
    /// Probe options.
    #[command(flatten)]
    pub probing: ProbeOptions,
}

/// Options shared by the commands that probe a host.
#[derive(Debug, Args)]
pub struct ProbeOptions {
    /// Save the raw probe results to FILE (JSON), to attach to a ticket or replay later.
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Use the probe results saved in FILE instead of probing: works offline.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Seconds each network call may take (connect, exchange, handshake).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 300.0 => Ok(s),
        _ => Err("a number of seconds between 0 and 300".into()),
    }
}

/// Arguments of `probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The host to check (`HOST[:PORT]`, port 3389 unless given); optional with --replay.
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "replay")]
    pub target: Option<String>,
    /// Also check this RD Gateway (`https://gateway.example.com`).
    #[arg(long, value_name = "URL")]
    pub gateway: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Wrap text output to this many columns (default: the terminal's width, or 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Probe options.
    #[command(flatten)]
    pub probing: ProbeOptions,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a person at a terminal.
    Text,
    /// For a ticket.
    Markdown,
    /// The versioned JSON contract.
    Json,
}

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (`0x904`, `2308`, `0X00000904`), `family:code` (`extended:0x7`) or a symbol
    /// (`ERRINFO_SERVER_DENIED_CONNECTION`).
    #[arg(value_name = "CODE")]
    pub code: String,
    /// Output format (`markdown` is not offered here).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Formats of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// JSON.
    Json,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules with their category, codes, origin and number of examples.
    List {
        /// Only rules of this category.
        #[arg(long, value_parser = parse_category)]
        category: Option<Category>,
        /// Only rules from extra folders (`--rules`, RDP_DOCTOR_RULES, the user's folder).
        #[arg(long)]
        only_extra: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run every rule's examples (must rank it in the top 3) and counter-examples (must not
    /// match): a table per rule, and why each failure failed.
    Test {
        /// Folders to layer over the knowledge for this run, and rule ids to test (all rules
        /// still compete in the ranking); an argument that is a folder is a folder.
        #[arg(value_name = "DIR|RULE")]
        targets: Vec<String>,
        /// Instead, show for this one paste how every rule scored and why each did or did not
        /// match (`-` reads standard input).
        #[arg(long, value_name = "PASTE")]
        trace: Option<String>,
        /// Output format (`json`: one object per example, with its text and the top 3).
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print every signature as an extended regular expression for `grep -E -i -f`.
    Patterns,
    /// Print the JSON Schema of rule files (or catalog files), for editors that validate YAML.
    Schema {
        /// Which files.
        #[arg(value_enum, default_value_t = SchemaKind::Rule)]
        kind: SchemaKind,
    },
    /// Write a commented skeleton rule to DIR/rules/CATEGORY/ID.yaml, with the schema beside it.
    New {
        /// The rule's id, in kebab-case (`team-proxy-reset`).
        #[arg(value_name = "ID")]
        id: String,
        /// The category of the root cause.
        #[arg(long, value_parser = parse_category)]
        category: Category,
        /// The knowledge folder to write into.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Check the knowledge (embedded, plus each DIR, or else the configured folders) and report
    /// every problem at once, with file:line:column, the offending line and a hint.
    Check {
        /// Folders to check, layered over the embedded knowledge in order.
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

/// The files `rules schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// Rule files (`rules/<category>/<id>.yaml`).
    Rule,
    /// Catalog files (`catalog/<family>.yaml`).
    Catalog,
}

fn parse_category(text: &str) -> Result<Category, String> {
    text.parse::<Category>().map_err(|_| {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown category; one of: {}", names.join(", "))
    })
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let mut cli = Cli::parse();
    // `rules test DIR` layers the folder like --rules; other arguments are rule ids.
    if let Command::Rules(RulesCommand::Test { targets, .. }) = &mut cli.command {
        let (dirs, ids): (Vec<String>, Vec<String>) = std::mem::take(targets)
            .into_iter()
            .partition(|t| std::path::Path::new(t).is_dir());
        cli.rules.extend(dirs.into_iter().map(PathBuf::from));
        *targets = ids;
    }
    if let Command::Rules(RulesCommand::Check { dirs, format }) = &cli.command {
        let layers = if dirs.is_empty() {
            knowledge_layers(&cli.rules)
        } else {
            let mut layers = vec![Layer::embedded()];
            layers.extend(dirs.iter().map(|d| Layer::directory(d)));
            layers
        };
        return ExitCode::from(check_rules(&layers, *format));
    }
    let layers = knowledge_layers(&cli.rules);
    let knowledge = Knowledge::load(&layers);
    let embedded_broken = report_problems(&knowledge.problems);
    // `rules test` reports on whatever loaded, problems or not: that is its job.
    let testing = matches!(cli.command, Command::Rules(RulesCommand::Test { .. }));
    if !testing && (embedded_broken || (cli.strict && !knowledge.problems.is_empty())) {
        return ExitCode::from(EXIT_RULESET);
    }
    let code = match &cli.command {
        Command::Diagnose(args) => diagnose(&knowledge, args),
        Command::Explain(args) => explain(&knowledge, args),
        Command::Probe(args) => probe(&knowledge, args),
        Command::Rules(RulesCommand::List {
            category,
            only_extra,
            format,
        }) => list_rules(&knowledge, *category, *only_extra, *format),
        Command::Rules(RulesCommand::Test {
            trace: Some(paste), ..
        }) => trace_paste(&knowledge, paste),
        Command::Rules(RulesCommand::Test {
            targets, format, ..
        }) => {
            let code = test_rules(&knowledge, targets, *format);
            if knowledge.problems.is_empty() {
                code
            } else {
                EXIT_RULESET
            }
        }
        Command::Rules(RulesCommand::Patterns) => print_patterns(&knowledge),
        Command::Rules(RulesCommand::Check { .. }) => unreachable!("handled before loading"),
        Command::Rules(RulesCommand::Schema { kind }) => {
            let schema = match kind {
                SchemaKind::Rule => crate::catalog::rule_schema(),
                SchemaKind::Catalog => crate::catalog::catalog_schema(),
            };
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            EXIT_DIAGNOSED
        }
        Command::Rules(RulesCommand::New { id, category, dir }) => {
            new_rule(&knowledge, id, *category, dir)
        }
        Command::Catalog(CatalogCommand::List { family, format }) => {
            list_catalog(&knowledge, *family, *format)
        }
        Command::Catalog(CatalogCommand::Coverage { format }) => coverage(&knowledge, *format),
        Command::Site(SiteCommand::Build { out, base_url }) => {
            build_site(&knowledge, &layers, out, base_url.as_deref())
        }
    };
    ExitCode::from(code)
}

/// The environment variable with extra knowledge folders (a path list, like `PATH`).
pub const RULES_ENV: &str = "RDP_DOCTOR_RULES";

/// The user's own knowledge folder: `rdp-doctor` in the platform's configuration folder
/// (`$XDG_CONFIG_HOME/rdp-doctor` or `~/.config/rdp-doctor` on Linux,
/// `%APPDATA%\rdp-doctor\config` on Windows, `~/Library/Application Support/rdp-doctor` on
/// macOS).
pub fn user_rules_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rdp-doctor").map(|d| d.config_dir().to_path_buf())
}

/// Every knowledge layer, lowest precedence first: the embedded knowledge, the user's folder
/// (when it exists), the folders of `RDP_DOCTOR_RULES` (the first entry wins, as in `PATH`),
/// then the `--rules` folders (a later one wins).
pub fn knowledge_layers(rules: &[PathBuf]) -> Vec<Layer> {
    let mut layers = vec![Layer::embedded()];
    if let Some(dir) = user_rules_dir().filter(|d| d.is_dir()) {
        layers.push(Layer::directory(&dir));
    }
    if let Some(list) = std::env::var_os(RULES_ENV) {
        let dirs: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        layers.extend(dirs.iter().rev().map(|dir| Layer::directory(dir)));
    }
    layers.extend(rules.iter().map(|dir| Layer::directory(dir)));
    layers
}

/// Prints one line per problem on stderr; true when the embedded knowledge itself is broken.
fn report_problems(problems: &[Problem]) -> bool {
    let mut stderr = std::io::stderr().lock();
    for problem in problems {
        let hint = problem
            .hint
            .as_ref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        let _ = writeln!(stderr, "rdp-doctor: skipped: {problem}{hint}");
    }
    problems.iter().any(|p| p.file.starts_with("embedded "))
}

fn fail(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "rdp-doctor: error: {message}");
    EXIT_USAGE
}

fn read_input(args: &DiagnoseArgs) -> Result<Paste, String> {
    if let Some(path) = &args.file {
        return std::fs::read(path)
            .map(Paste::from_bytes)
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    let from_stdin = args.text.is_empty() || args.text == ["-"];
    if !from_stdin {
        return Ok(Paste::from_text(args.text.join(" ")));
    }
    if args.text.is_empty() && std::io::stdin().is_terminal() {
        return Err(
            "no paste given: pass the text as an argument, use --file FILE, or pipe it in (`-` reads standard input)"
                .into(),
        );
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(Paste::from_bytes(bytes))
}

fn diagnose(knowledge: &Knowledge, args: &DiagnoseArgs) -> u8 {
    let paste = match read_input(args) {
        Ok(paste) => paste,
        Err(message) => return fail(&message),
    };
    if paste.text.trim().is_empty() {
        return fail("the paste is empty: give the text of the error message");
    }
    let extractor = Extractor::new(knowledge);
    let matcher = Matcher::new(knowledge);
    let extraction = extractor.extract(&paste.text);
    let mut candidates = matcher.rank(&extraction, &paste.text);
    let mut notices = paste.notices.clone();
    notices.extend(knowledge.notices.iter().map(|n| n.message.clone()));
    let probes = match gather_probes(
        knowledge,
        args.host.as_deref(),
        args.gateway.as_deref(),
        &args.probing,
    ) {
        Ok(probes) => probes,
        Err(message) => return fail(&message),
    };
    if let Some(probes) = &probes {
        let (reranked, problems) = probe::rerank(knowledge, candidates, &probes.results);
        candidates = reranked;
        notices.extend(problems);
    } else if let Some(host) = extraction.hosts.first() {
        notices.push(format!(
            "the paste names {}: add `--host {}` to check it with the probes",
            host.host, host.host
        ));
    }
    let report = render::build_report(
        knowledge,
        &paste.text,
        &extraction,
        &candidates,
        &notices,
        probes.as_ref(),
    );
    if let Err(code) = write_report(knowledge, &report, args.format, args.width) {
        return code;
    }
    if report.diagnoses.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_DIAGNOSED
    }
}

/// Runs the probes against `host` (or reads them back from `--replay`), saving them with
/// `--record`; `None` when no host is given.
fn gather_probes(
    knowledge: &Knowledge,
    host: Option<&str>,
    gateway: Option<&str>,
    options: &ProbeOptions,
) -> Result<Option<ProbeReport>, String> {
    if let Some(path) = &options.replay {
        let recording = Recording::load(path)?;
        if let Some(host) = host {
            let asked = Target::parse(host)?;
            if (asked.host.as_str(), asked.port)
                != (recording.target.host.as_str(), recording.target.port)
            {
                return Err(format!(
                    "{} holds probes of {}, not of {}",
                    path.display(),
                    recording.target.display(),
                    asked.display()
                ));
            }
        }
        return Ok(Some(ProbeReport {
            target: recording.target,
            replayed_from: Some(recording.recorded_at),
            results: recording.results,
        }));
    }
    let Some(host) = host else {
        if options.record.is_some() {
            return Err("--record needs a host to probe (--host HOST)".into());
        }
        return Ok(None);
    };
    let mut target = Target::parse(host).map_err(|e| format!("--host: {e}"))?;
    if let Some(gateway) = gateway {
        GatewayUrl::parse(gateway).map_err(|e| format!("--gateway: {e}"))?;
        target.gateway = Some(gateway.to_string());
    }
    if std::io::stderr().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "rdp-doctor: probing {} ...",
            target.display()
        );
    }
    let call = Duration::from_secs_f64(options.timeout);
    let run_options = RunOptions {
        call: Limits {
            timeout: call,
            ..Limits::default()
        },
        budget: (call * 3).max(Duration::from_secs(15)),
        ..RunOptions::default()
    };
    let scripts = Arc::new(knowledge.probes.clone());
    let results = probe::run_probes_blocking(scripts, &target, &run_options)?;
    if let Some(path) = &options.record {
        Recording::new(&target, &results).save(path)?;
    }
    Ok(Some(ProbeReport {
        target,
        replayed_from: None,
        results,
    }))
}

/// `probe`: every probe against one host, and the remedy of each problem found.
fn probe(knowledge: &Knowledge, args: &ProbeArgs) -> u8 {
    let probes = match gather_probes(
        knowledge,
        args.target.as_deref(),
        args.gateway.as_deref(),
        &args.probing,
    ) {
        Ok(Some(probes)) => probes,
        Ok(None) => return fail("no host given"),
        Err(message) => return fail(&message),
    };
    let (candidates, mut notices) = probe::rerank(knowledge, Vec::new(), &probes.results);
    notices.splice(0..0, knowledge.notices.iter().map(|n| n.message.clone()));
    let extraction = Extractor::new(knowledge).extract("");
    let healthy = probes
        .results
        .iter()
        .all(|r| matches!(r.status, Status::Pass | Status::Skipped));
    let report = render::build_report(
        knowledge,
        "",
        &extraction,
        &candidates,
        &notices,
        Some(&probes),
    );
    if let Err(code) = write_report(knowledge, &report, args.format, args.width) {
        return code;
    }
    if healthy {
        EXIT_DIAGNOSED
    } else {
        EXIT_NO_MATCH
    }
}

/// Writes a report in the chosen format to standard output; `Err(exit code)` when the
/// Markdown template fails.
fn write_report(
    knowledge: &Knowledge,
    report: &render::Report,
    format: Format,
    width: Option<usize>,
) -> Result<(), u8> {
    let output = render_report(knowledge, report, format, width)?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

/// Renders a report in the chosen format; `Err(exit code)` when the Markdown template fails.
fn render_report(
    knowledge: &Knowledge,
    report: &render::Report,
    format: Format,
    width: Option<usize>,
) -> Result<String, u8> {
    let output = match format {
        Format::Json => render::render_json(report),
        Format::Markdown => match render::render_markdown(knowledge, report) {
            Ok(markdown) => markdown,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "rdp-doctor: markdown template: {error}");
                return Err(EXIT_RULESET);
            }
        },
        Format::Text => {
            let stdout = std::io::stdout();
            let color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
            let width = width.unwrap_or_else(terminal_width);
            let mut text = render::render_text(report, TextStyle { width, color });
            if report.diagnoses.is_empty() && report.probes.is_none() {
                text.push_str(NO_MATCH_ADVICE);
            }
            text
        }
    };
    Ok(output)
}

const NO_MATCH_ADVICE: &str = "\
To teach rdp-doctor this error, write a rule: a YAML file with an id, a category, signatures
(the codes or words of this paste) and the steps that fixed it, in a folder you pass with
`--rules DIR`. `rdp-doctor explain CODE` shows what the catalog knows about a code.
";

fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return usize::from(w).min(120);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// One reading of an explained code.
#[derive(Debug, Serialize)]
struct Explanation<'a> {
    code: String,
    family: &'a str,
    family_label: &'a str,
    applies: &'a str,
    symbol: Option<&'a str>,
    name: &'a str,
    meaning: &'a str,
    aliases: &'a [String],
    messages: &'a indexmap::IndexMap<String, Vec<String>>,
    note: Option<&'a str>,
    read_as: String,
    rules: Vec<String>,
    references: &'a [crate::catalog::Reference],
}

fn explain(knowledge: &Knowledge, args: &ExplainArgs) -> u8 {
    let query = args.code.trim();
    let readings = match lookup(knowledge, query) {
        Ok(readings) => readings,
        Err(message) => return fail(&message),
    };
    if readings.is_empty() {
        let _ = writeln!(
            std::io::stdout(),
            "The catalog does not define `{query}` in any family. Try the hex form (0x...), a family prefix (disconnect:, extended:, errinfo:, errconnect:, gateway:, avd:, event:) or a symbol."
        );
        return EXIT_NO_MATCH;
    }
    let explanations: Vec<Explanation> = readings
        .iter()
        .map(|(entry, read_as)| Explanation {
            code: entry.display_code(),
            family: entry.family.as_str(),
            family_label: entry.family.label(),
            applies: entry.family.reading(),
            symbol: entry.symbol.as_deref(),
            name: &entry.name,
            meaning: entry.meaning.trim(),
            aliases: &entry.aliases,
            messages: &entry.messages,
            note: entry.note.as_deref(),
            read_as: read_as.clone(),
            rules: knowledge
                .rules_explaining(entry)
                .map(|r| r.id.clone())
                .collect(),
            references: &entry.references,
        })
        .collect();
    let mut out = String::new();
    match args.format {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(&explanations).unwrap_or_default();
            out.push('\n');
        }
        ListFormat::Text => {
            use std::fmt::Write as _;
            if explanations.len() > 1 {
                let _ = writeln!(
                    out,
                    "`{query}` is defined in {} families; which reading applies depends on where it was shown.\n",
                    explanations.len()
                );
            }
            for e in &explanations {
                let _ = writeln!(out, "{} ({}): {}", e.code, e.family_label, e.name);
                if let Some(symbol) = e.symbol {
                    let _ = writeln!(out, "  symbol:   {symbol}");
                }
                if !e.read_as.is_empty() {
                    let _ = writeln!(out, "  read as:  {}", e.read_as);
                }
                let _ = writeln!(out, "  applies:  {}", e.applies);
                let _ = writeln!(out, "  meaning:  {}", e.meaning);
                if let Some(note) = e.note {
                    let _ = writeln!(out, "  note:     {}", note.trim());
                }
                if !e.aliases.is_empty() {
                    let _ = writeln!(out, "  aliases:  {}", e.aliases.join(", "));
                }
                for (lang, texts) in e.messages {
                    for text in texts {
                        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        let _ = writeln!(out, "  message ({lang}): \"{one_line}\"");
                    }
                }
                if !e.rules.is_empty() {
                    let _ = writeln!(out, "  rules:    {}", e.rules.join(", "));
                }
                for reference in e.references {
                    let _ = writeln!(out, "  see:      {} <{}>", reference.title, reference.url);
                }
                out.push('\n');
            }
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    EXIT_DIAGNOSED
}

/// The catalog entries a query names, each with how the query was read.
fn lookup<'k>(
    knowledge: &'k Knowledge,
    query: &str,
) -> Result<Vec<(&'k CatalogEntry, String)>, String> {
    let catalog = &knowledge.catalog;
    if let Some((prefix, rest)) = query.split_once(':') {
        let family = Family::from_prefix(prefix.trim()).ok_or_else(|| {
            format!(
                "unknown family `{prefix}`; use one of {}",
                Family::ALL
                    .iter()
                    .map(|f| f.prefix())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let rest = rest.trim();
        if let Some(entry) = catalog.by_key(&format!("{}:{rest}", family.prefix())) {
            return Ok(vec![(entry, String::new())]);
        }
        let readings = number_readings(rest)
            .into_iter()
            .filter_map(|(code, how)| catalog.get(family, code).map(|e| (e, how)))
            .collect();
        return Ok(readings);
    }
    let looks_numeric = query.starts_with("0x")
        || query.starts_with("0X")
        || query.bytes().all(|b| b.is_ascii_digit());
    if looks_numeric {
        let readings = number_readings(query);
        if readings.is_empty() {
            return Err(format!(
                "`{query}` is not a code (write hex like 0x904 or decimal like 2308)"
            ));
        }
        let mut out = Vec::new();
        for (code, how) in readings {
            out.extend(catalog.readings(code).into_iter().map(|e| (e, how.clone())));
        }
        return Ok(out);
    }
    if let Some(entry) = catalog.by_symbol(query) {
        return Ok(vec![(entry, String::new())]);
    }
    let by_id: Vec<_> = catalog
        .entries()
        .iter()
        .filter(|e| e.id.as_deref() == Some(query))
        .map(|e| (e, String::new()))
        .collect();
    Ok(by_id)
}

/// The codes a number may be: hex when it says `0x`; digits alone are read as decimal and,
/// when the digits also make a hex code, as hex too.
fn number_readings(text: &str) -> Vec<(Code, String)> {
    if text.starts_with("0x") || text.starts_with("0X") {
        return Code::parse(text)
            .map(|c| (c, String::new()))
            .into_iter()
            .collect();
    }
    let mut out = Vec::new();
    if let Ok(value) = text.parse::<u32>() {
        out.push((Code(value), format!("decimal {text} = {:#x}", value)));
    }
    if let Some(hex) = Code::parse_hex(text) {
        if out.iter().all(|(c, _)| *c != hex) {
            out.push((hex, format!("hex digits {text} = {hex}")));
        }
    }
    out
}

#[derive(Serialize)]
struct RuleRow {
    id: String,
    category: String,
    codes: Vec<String>,
    origin: String,
    examples: usize,
    counter_examples: usize,
}

/// The JSON of `rules check`.
#[derive(Debug, Serialize)]
struct CheckReport<'a> {
    ok: bool,
    files: usize,
    rules: usize,
    probes: usize,
    catalog_entries: usize,
    problems: Vec<CheckProblem<'a>>,
}

#[derive(Debug, Serialize)]
struct CheckProblem<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
    hint: Option<&'a str>,
    snippet: Option<&'a str>,
}

/// `rules check`: every problem of every layer, then a one-line verdict; exit 3 on problems.
fn check_rules(layers: &[Layer], format: ListFormat) -> u8 {
    use std::fmt::Write as _;
    let knowledge = Knowledge::load(layers);
    let problems = crate::check::check(&knowledge, layers);
    let files: usize = layers.iter().map(|l| l.files.len()).sum();
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
                        file: &p.file,
                        line: p.line,
                        column: p.column,
                        message: &p.message,
                        hint: p.hint.as_deref(),
                        snippet: p.source_line.as_deref(),
                    })
                    .collect(),
            };
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        ListFormat::Text => {
            let mut out = String::new();
            for problem in &problems {
                let _ = writeln!(out, "error: {}\n", problem.render());
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

fn list_rules(
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
            codes: r.codes.iter().map(ToString::to_string).collect(),
            origin: r.origin.to_string(),
            examples: r.examples.len(),
            counter_examples: r.counter_examples.len(),
        })
        .collect();
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "{:<44} {:<20} {:>8}  {:<28} origin",
            "id", "category", "examples", "codes"
        );
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<44} {:<20} {:>8}  {:<28} {}",
                row.id,
                row.category,
                format!("{}/{}", row.examples, row.counter_examples),
                row.codes.join(" "),
                row.origin
            );
        }
        let _ = writeln!(out, "{} rules", rows.len());
    })
}

fn test_rules(knowledge: &Knowledge, only: &[String], format: ListFormat) -> u8 {
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
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<48} {:>8} {:>8} {:>7}  origin",
        "rule", "examples", "counter", "failed"
    );
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
        let _ = writeln!(
            out,
            "{:<48} {:>8} {:>8} {:>7}  {}",
            rule.id,
            count(false),
            count(true),
            if failed == 0 {
                "-".to_string()
            } else {
                failed.to_string()
            },
            rule.origin
        );
    }
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

/// `site build`: renders every page into `out`.
fn build_site(
    knowledge: &Knowledge,
    layers: &[Layer],
    out: &std::path::Path,
    base_url: Option<&str>,
) -> u8 {
    if let Some(url) = base_url {
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        if !absolute {
            return fail(&format!(
                "--base-url must be an absolute http(s) URL, not `{url}`"
            ));
        }
    }
    let started = std::time::Instant::now();
    let options = crate::site::SiteOptions {
        base_url: base_url.map(str::to_string),
    };
    let site = crate::site::Site::new(knowledge, layers, options);
    for warning in site.warnings() {
        eprintln!("warning: {warning}");
    }
    match crate::site::write_site(&site, out) {
        Ok((files, bytes)) => {
            if base_url.is_none() {
                eprintln!(
                    "note: sitemap.xml lists paths relative to the site; pass --base-url for the absolute URLs search engines need"
                );
            }
            eprintln!(
                "wrote {files} files ({:.1} MiB) to {} in {:.2} s: {} rules, {} codes",
                bytes as f64 / (1024.0 * 1024.0),
                out.display(),
                started.elapsed().as_secs_f64(),
                knowledge.rules.len(),
                knowledge.catalog.entries().len()
            );
            EXIT_DIAGNOSED
        }
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            EXIT_RULESET
        }
    }
}

/// `rules new`: a skeleton rule that loads as it is, with every field explained.
fn new_rule(knowledge: &Knowledge, id: &str, category: Category, dir: &std::path::Path) -> u8 {
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
const RULE_SKELETON: &str = r#"# yaml-language-server: $schema=../../rule.schema.json
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
fn trace_paste(knowledge: &Knowledge, paste: &str) -> u8 {
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

fn print_patterns(knowledge: &Knowledge) -> u8 {
    let mut out = String::new();
    for rule in &knowledge.rules {
        for signature in &rule.signatures {
            let pattern = match &signature.pattern {
                Pattern::Text(text) => Some(crate::matcher::text_to_ere(text)),
                Pattern::Regex(regex) => crate::matcher::regex_to_ere(regex.as_str()),
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

#[derive(Serialize)]
struct EntryRow<'a> {
    family: &'a str,
    code: String,
    symbol: Option<&'a str>,
    name: &'a str,
    languages: Vec<&'a str>,
    origin: String,
}

fn list_catalog(knowledge: &Knowledge, family: Option<Family>, format: ListFormat) -> u8 {
    let rows: Vec<EntryRow> = knowledge
        .catalog
        .entries()
        .iter()
        .filter(|e| family.is_none_or(|f| e.family == f))
        .map(|e| EntryRow {
            family: e.family.as_str(),
            code: e.display_code(),
            symbol: e.symbol.as_deref(),
            name: &e.name,
            languages: e.messages.keys().map(String::as_str).collect(),
            origin: e.origin.to_string(),
        })
        .collect();
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<18} {:<12} {:<48} {}",
                row.family,
                row.code,
                row.symbol.unwrap_or("-"),
                row.name
            );
        }
        let _ = writeln!(out, "{} entries", rows.len());
    })
}

/// Coverage of one family by the rules.
#[derive(Debug, Serialize)]
pub struct FamilyCoverage {
    /// The family.
    pub family: String,
    /// Entries the catalog defines in it.
    pub codes: usize,
    /// Of those, the ones some rule explains (names in `codes`).
    pub explained: usize,
    /// Rules that explain a code of this family.
    pub rules: usize,
    /// Of those, the rules with at least one example and one counter-example.
    pub tested_rules: usize,
}

/// Per family: codes, codes a rule explains, rules, rules with tests.
pub fn family_coverage(knowledge: &Knowledge) -> Vec<FamilyCoverage> {
    Family::ALL
        .iter()
        .map(|&family| {
            let entries: Vec<&CatalogEntry> = knowledge
                .catalog
                .entries()
                .iter()
                .filter(|e| e.family == family)
                .collect();
            let explained = entries
                .iter()
                .filter(|e| knowledge.rules_explaining(e).next().is_some())
                .count();
            let mut rules: Vec<&crate::catalog::Rule> = Vec::new();
            for rule in entries.iter().flat_map(|e| knowledge.rules_explaining(e)) {
                if !rules.iter().any(|r| r.id == rule.id) {
                    rules.push(rule);
                }
            }
            FamilyCoverage {
                family: family.as_str().to_string(),
                codes: entries.len(),
                explained,
                rules: rules.len(),
                tested_rules: rules
                    .iter()
                    .filter(|r| !r.examples.is_empty() && !r.counter_examples.is_empty())
                    .count(),
            }
        })
        .collect()
}

fn coverage(knowledge: &Knowledge, format: ListFormat) -> u8 {
    let rows = family_coverage(knowledge);
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "{:<20} {:>6} {:>10} {:>6} {:>13}",
            "family", "codes", "explained", "rules", "rules tested"
        );
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<20} {:>6} {:>10} {:>6} {:>13}",
                row.family, row.codes, row.explained, row.rules, row.tested_rules
            );
        }
        let tested = knowledge
            .rules
            .iter()
            .filter(|r| !r.examples.is_empty() && !r.counter_examples.is_empty())
            .count();
        let _ = writeln!(
            out,
            "{} catalog entries; {} rules, {} with examples and counter-examples",
            knowledge.catalog.entries().len(),
            knowledge.rules.len(),
            tested
        );
    })
}

/// Prints `rows` as JSON, or as the text `table` writes; the exit code of a listing.
fn print_listing<T: Serialize>(
    format: ListFormat,
    rows: &T,
    table: impl FnOnce(&mut String),
) -> u8 {
    let mut out = String::new();
    match format {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(rows).unwrap_or_default();
            out.push('\n');
        }
        ListFormat::Text => table(&mut out),
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    EXIT_DIAGNOSED
}
