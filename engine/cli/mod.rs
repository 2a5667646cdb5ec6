//! The command line: parses arguments, reads the user's input, runs the stages, prints.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::catalog::{CatalogEntry, Category, Code, Family, Knowledge, Layer, Pattern, Problem};
use crate::extract::{Extractor, Paste};
use crate::matcher::{Matcher, check_examples};
use crate::probe::net::{GatewayUrl, Limits};
use crate::probe::{self, Recording, RunOptions, Status, Target};
use crate::ranking::Ranking;
use crate::redact::Redactor;
use crate::related::Related;
use crate::render::{self, ProbeReport, TextStyle};
use std::sync::Arc;
use std::time::Duration;

mod catalog;
mod diagnose;
mod explain;
mod rules;
mod scan;
mod site;

use self::catalog::*;
use self::diagnose::*;
use self::explain::*;
use self::rules::*;
use self::scan::*;
use self::site::*;

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
    /// Read whole logs (FreeRDP, Remmina, xrdp, guacd, client logs; plain or gzip; folders;
    /// `-` for standard input) line by line and report each distinct problem once: how often,
    /// first and last seen, hosts, and sample lines.
    Scan(ScanArgs),
    /// Work with the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Work with the error-code catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Build the static troubleshooting website.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Print the completion script of a shell (`rdp-doctor completions bash >
    /// /etc/bash_completion.d/rdp-doctor`; also zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (`rdp-doctor man > rdp-doctor.1; man ./rdp-doctor.1`).
    Man,
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
    /// of those rules have examples and counter-examples; or per language or category.
    Coverage {
        /// What to count by: `family` (codes and the rules that explain them), `language`
        /// (entries and texts per language) or `category` (catalog entries and rules).
        #[arg(long, value_enum, default_value_t = CoverageBy::Family)]
        by: CoverageBy,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

/// What `catalog coverage` counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageBy {
    /// Per code family (and program).
    Family,
    /// Per language of the catalog's texts.
    Language,
    /// Per category: catalog entries and rules.
    Category,
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
    /// Show every candidate in full (evidence, causes, every step with its commands,
    /// references) instead of the short report that fits one screen.
    #[arg(long, visible_alias = "all")]
    pub detail: bool,
    /// List at most N candidates (in every format).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub top: Option<u16>,
    /// Replace host names, IP addresses, user and domain names and e-mail addresses with
    /// placeholders (`host-1`, `ip-1`, `user-1`, the same value always the same one) in every
    /// format, so the report can go into a public ticket.
    #[arg(long)]
    pub redact: bool,
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

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Log files or folders to read (a folder whole); `-` reads standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Wrap text output to this many columns (default: the terminal's width, or 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// List at most N problems in text and Markdown (JSON lists all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub top: Option<u16>,
    /// Replace host names, addresses, user and domain names in the sample lines, hosts,
    /// users and clients with placeholders, as `diagnose --redact` does.
    #[arg(long)]
    pub redact: bool,
    /// Leave out lines and events before this time: `2024-01-05`, `2024-01-05 10:00`,
    /// `2024-01-05T10:00:00Z`. Times are compared as the logs write them (event logs: UTC);
    /// lines without a date are kept.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<String>,
    /// Leave out lines and events after this time (as `--since`; a date alone means its
    /// end).
    #[arg(long, value_name = "TIME", value_parser = parse_time_until)]
    pub until: Option<String>,
    /// Show no progress bar (one is shown on standard error when it is a terminal and the
    /// inputs are over 8 MB).
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_time(text: &str) -> Result<String, String> {
    crate::scan::sortable_time(text.trim()).ok_or_else(|| {
        "a date and time such as 2024-01-05, 2024-01-05 10:00 or 2024-01-05T10:00:00Z".into()
    })
}

fn parse_time_until(text: &str) -> Result<String, String> {
    let time = parse_time(text)?;
    // A date alone, or a time without seconds, reaches to the end of that day or minute.
    let digits = text.trim().chars().filter(char::is_ascii_digit).count();
    Ok(match digits {
        0..=8 => format!("{}23:59:59", &time[..11]),
        9..=12 => format!("{}:59", &time[..16]),
        _ => time,
    })
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
    /// Show every probe's facts and each problem's full remedy instead of the short report.
    #[arg(long, visible_alias = "all")]
    pub detail: bool,
    /// Replace host names, IP addresses, user and domain names and e-mail addresses with
    /// placeholders (`host-1`, `ip-1`, `user-1`, the same value always the same one) in every
    /// format, so the report can go into a public ticket.
    #[arg(long)]
    pub redact: bool,
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
    /// Wrap text output to this many columns (default: the terminal's width, or 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
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
    // Neither needs the knowledge.
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut stdout = std::io::stdout().lock();
            clap_complete::generate(*shell, &mut command, "rdp-doctor", &mut stdout);
            return ExitCode::SUCCESS;
        }
        Command::Man => {
            let page = clap_mangen::Man::new(Cli::command());
            let mut stdout = std::io::stdout().lock();
            return match page.render(&mut stdout) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    let _ = writeln!(std::io::stderr(), "rdp-doctor: {error}");
                    ExitCode::from(EXIT_USAGE)
                }
            };
        }
        _ => {}
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
        Command::Scan(args) => scan(&knowledge, args),
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
        Command::Catalog(CatalogCommand::Coverage { by, format }) => {
            coverage(&knowledge, *by, *format)
        }
        Command::Site(SiteCommand::Build { out, base_url }) => {
            build_site(&knowledge, &layers, out, base_url.as_deref())
        }
        Command::Completions { .. } | Command::Man => unreachable!("handled before loading"),
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
    problems.iter().any(|p| p.is_embedded())
}

fn fail(message: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "rdp-doctor: error: {message}");
    EXIT_USAGE
}

fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return usize::from(w).min(120);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// A plain terminal table: a header row, then one row per item, columns two spaces apart,
/// the columns numbered in `right` aligned right. Cells are never wrapped or cut, so ids and
/// codes can be copied whole.
fn table<const N: usize>(header: [&str; N], rows: Vec<[String; N]>, right: &[usize]) -> String {
    use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header)
        .add_rows(rows);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for &i in right {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out: String = table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect();
    if out.is_empty() {
        out.push('\n');
    }
    out
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
