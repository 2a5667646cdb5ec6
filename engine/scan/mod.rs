//! `scan`: reads whole logs (text, and Windows event logs as EVTX, XML, JSON or CSV), in
//! memory that does not grow with them, and reports each distinct problem once, with how
//! often and where it was seen, and each connection attempt with the step that ended it.
//!
//! A line is only diagnosed when it holds a word a failure is written with (an error word, a
//! code, a symbol, the start of a catalog message): most lines of a log are not, and are
//! counted, not read twice. A diagnosed line is matched with the same knowledge as `diagnose`;
//! its best rule (or, when no rule matches, the catalog meaning of what it names) is its
//! problem. Problems are ordered worst first: the level of their worst line (an error before a
//! warning), then the confidence of the diagnosis, so one line that ended a connection comes
//! before a warning repeated a thousand times.
//!
//! A Windows event is diagnosed when the catalog knows its ID for its provider, or when it is
//! a warning or an error: it is written out as Event Viewer's text (source, event ID, level,
//! message, named data) and matched like a pasted event.

pub mod episodes;
pub mod events;
mod table;
mod xml;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;
use serde::Serialize;

use self::episodes::{Episode, Episodes, Step, Who};
use self::events::{EventsRead, WinEvent};
use crate::catalog::{CatalogEntry, Category, Code, Family, Knowledge};
use crate::extract::{ERROR_WORDS, Extractor};
use crate::matcher::{Matcher, meanings};
use crate::redact::{self, Redactor};

/// The version of the JSON contract of `scan`.
pub const SCAN_VERSION: u32 = 1;

/// The longest line read, in bytes; the rest of a longer line is skipped (and counted).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How much of an input is read and searched at once.
const CHUNK_BYTES: usize = 1024 * 1024;

/// A chunk at least this long is searched on every core.
const PARALLEL_BYTES: usize = 256 * 1024;

/// The least confidence a catalog meaning needs to be a problem of its own.
const MIN_MEANING_SCORE: f64 = 0.1;

/// How many distinct lines keep their diagnosis before the cache starts afresh.
const CACHE_LINES: usize = 4096;

/// How many sample lines a problem keeps.
const SAMPLES: usize = 2;

/// How many hosts a problem lists at most.
const MAX_HOSTS: usize = 20;

/// The longest sample line shown, in characters.
const SAMPLE_CHARS: usize = 300;

/// Words failures are written with, lower case, beside the error words of every language
/// ([`ERROR_WORDS`]). A line without one of these (or a symbol or message start of the catalog)
/// is not diagnosed.
const FAILURE_WORDS: &[&str] = &[
    "error",
    "fail",
    "denied",
    "refused",
    "unable",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "timeout",
    "timed out",
    "invalid",
    "expired",
    "reset",
    "disconnect",
    "fatal",
    "reject",
    "not supported",
    "0x",
    "warn",
    "authfail",
    "unreachable",
    "not found",
    "untrusted",
    "abort",
    "échec",
    "errore",
    "失败",
    "失敗",
];

/// One input of a scan: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file (plain or gzip).
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl Input {
    /// How the input is named in reports.
    pub fn name(&self) -> String {
        match self {
            Input::File(path) => path.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }
}

/// The inputs named on the command line: a folder is read whole (its regular files, sorted,
/// hidden ones and links left out), `-` is standard input. Problems (a missing path, a link
/// not followed) are returned beside the inputs.
pub fn inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut inputs, &mut problems),
            Ok(meta) if meta.is_file() => inputs.push(Input::File(path.clone())),
            Ok(_) => problems.push(format!("{}: not a regular file; not read", path.display())),
            Err(error) => problems.push(format!("cannot read {}: {error}", path.display())),
        }
    }
    (inputs, problems)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(format!("cannot read {}: {error}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if hidden {
            continue;
        }
        if meta.file_type().is_symlink() {
            problems.push(format!("{}: a link; not followed", path.display()));
        } else if meta.is_dir() {
            walk(&path, inputs, problems);
        } else if meta.is_file() {
            inputs.push(Input::File(path));
        }
    }
}

/// Where a problem was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    /// The input's name.
    pub input: String,
    /// The line number, from 1; for an event, the line its CSV row or JSON line starts on, or
    /// its position among the events of an EVTX or XML file.
    pub line: u64,
    /// The time the line gives, as written (`2019-06-05 20:01:26`, `20:01:26:123`), when it
    /// starts with one; an event's time as its export writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// An event's EventRecordID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

/// A line of the log that shows a problem.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Where.
    #[serde(flatten)]
    pub seen: Seen,
    /// The line (shortened past 300 characters).
    pub text: String,
}

/// What a line was diagnosed as.
#[derive(Debug, Clone)]
struct Verdict {
    kind: &'static str,
    id: String,
    title: String,
    category: String,
    score: f64,
    hosts: Vec<String>,
}

/// How serious a line says it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No level, or an informational one.
    #[default]
    Info,
    /// A warning.
    Warning,
    /// An error (or fatal).
    Error,
}

/// One distinct problem of the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct ScanProblem {
    /// `rule` or `catalog`.
    pub kind: &'static str,
    /// The rule's id or the catalog entry's key.
    pub id: String,
    /// The rule's title, or the entry's family, code and name.
    pub title: String,
    /// The category.
    pub category: String,
    /// The highest confidence any of its lines was diagnosed with.
    pub score: f64,
    /// The level of its worst line.
    pub level: Level,
    /// How many lines show it.
    pub count: u64,
    /// Where it was first seen.
    pub first: Seen,
    /// Where it was last seen.
    pub last: Seen,
    /// Hosts its lines name (at most 20).
    pub hosts: Vec<String>,
    /// The first line and the worst line that show it (or the first and the last).
    pub samples: Vec<Sample>,
    /// The text its worst line or event was diagnosed from (an event as Event Viewer's text),
    /// for `diagnose` to diagnose again in full.
    #[serde(skip)]
    pub diagnosed_text: String,
}

/// One input as read.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// The input's name.
    pub name: String,
    /// What it was read as: `text`, `evtx`, `xml`, `json` (JSON lines or a JSON list) or
    /// `csv` (an event export table, comma, semicolon or tab separated).
    pub format: &'static str,
    /// Lines read (text inputs; for event exports, the lines of the file as far as known).
    pub lines: u64,
    /// Windows events read (event inputs).
    pub events: u64,
    /// Records, elements or rows that could not be read as an event.
    pub unreadable: u64,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Lines longer than the limit, whose rest was skipped.
    pub long_lines: u64,
}

/// What a scan found: the JSON contract of `scan`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// Contract version.
    pub version: u32,
    /// Each input as read.
    pub inputs: Vec<InputSummary>,
    /// Lines and events diagnosed (lines that hold a failure word; events the catalog knows
    /// or that are warnings or errors).
    pub diagnosed_lines: u64,
    /// Lines and events left out by `--since` / `--until`.
    pub outside_window: u64,
    /// Lines kept although `--since` / `--until` was given, because they give no date.
    pub undated: u64,
    /// Distinct problems, worst first.
    pub problems: Vec<ScanProblem>,
    /// Connection attempts seen, and how many failed.
    pub attempts: Attempts,
    /// The attempts, in the order they started (at most 1,000).
    pub episodes: Vec<Episode>,
    /// Inputs not read, links not followed, other facts about the run.
    pub notices: Vec<String>,
}

/// How many connection attempts a scan saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Attempts {
    /// Attempts in all.
    pub total: u64,
    /// Of them, those whose last step of the highest level is a warning or an error.
    pub failed: u64,
    /// Attempts not listed in `episodes`, past its limit.
    pub not_listed: u64,
}

/// Reads logs and collects their problems; built once per knowledge base.
pub struct Scanner<'k> {
    knowledge: &'k Knowledge,
    extractor: Extractor<'k>,
    matcher: Matcher<'k>,
    /// Failure words, catalog symbols and message starts, any case; built for the first
    /// text input (event logs do not need it).
    triggers: std::sync::OnceLock<AhoCorasick>,
    problems: Vec<ScanProblem>,
    by_id: HashMap<String, usize>,
    inputs: Vec<InputSummary>,
    diagnosed: u64,
    notices: Vec<String>,
    /// Diagnoses by a line's words (without its leading time and thread id).
    cache: HashMap<String, Option<Verdict>>,
    /// `--since` and `--until`, as sortable times.
    window: (Option<String>, Option<String>),
    outside: u64,
    undated: u64,
    episodes: Episodes,
    /// Kerberos error codes and the catalog's symbol for each (`0x18`: `KDC_ERR_PREAUTH_FAILED`).
    kerberos: HashMap<u32, String>,
    /// The providers the catalog names for its events, as [`provider_key`] writes them.
    providers: std::collections::HashSet<String>,
}

/// A time as written in a log, as a sortable `YYYY-MM-DD HH:MM:SS`, when it gives a date:
/// ISO 8601 (event logs), xrdp's `20190605-20:01:26`, and Event Viewer's exports in the usual
/// locales (`1/5/2024 10:11:12 AM`, `05.01.2024 10:11:12`, `2024/01/05 10:11:12`).
pub fn sortable_time(text: &str) -> Option<String> {
    static DATED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\s*(?:(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})|(?P<y2>\d{4})(?P<m2>\d{2})(?P<d2>\d{2})-|(?P<d3>\d{1,2})\.(?P<m3>\d{1,2})\.(?P<y3>\d{4})|(?P<m4>\d{1,2})/(?P<d4>\d{1,2})/(?P<y4>\d{4}))(?:[T ]+|-)?(?P<h>\d{1,2})?(?::(?P<mi>\d{2}))?(?::(?P<s>\d{2}))?[.,\d]*\s*(?P<ampm>[AP]M)?",
        )
        .expect("a constant, valid regex")
    });
    let c = DATED.captures(text)?;
    let pick = |names: [&str; 4]| names.iter().find_map(|n| c.name(n)).map(|m| m.as_str());
    let year: u32 = pick(["y", "y2", "y3", "y4"])?.parse().ok()?;
    let month: u32 = pick(["m", "m2", "m3", "m4"])?.parse().ok()?;
    let day: u32 = pick(["d", "d2", "d3", "d4"])?.parse().ok()?;
    let number = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let mut hour = number("h").unwrap_or(0);
    match c.name("ampm").map(|m| m.as_str().to_ascii_uppercase()) {
        Some(ampm) if ampm == "PM" && hour < 12 => hour += 12,
        Some(ampm) if ampm == "AM" && hour == 12 => hour = 0,
        _ => {}
    }
    let (minute, second) = (number("mi").unwrap_or(0), number("s").unwrap_or(0));
    ((1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61)
        .then(|| format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"))
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\W{0,3}(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{8}-\d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}(?:[:.,]\d{1,6})?|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})",
    )
    .expect("a constant, valid regex")
});

/// A line's leading time and thread or process ids: `[20:01:26:123] [1234:5678] `.
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\[?\d[\d:./TZ+ -]*\]?\s*)?(?:\[[0-9a-fA-Fx]+:[0-9a-fA-Fx]+\]\s*)?")
        .expect("a constant, valid regex")
});

/// The time a log line starts with, as written.
fn time_of(line: &str) -> Option<String> {
    let head = line.get(..line.len().min(48)).unwrap_or(line);
    TIME.captures(head)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// The level a line gives itself.
fn level_of(line: &str) -> Level {
    // The level field a log writes (FreeRDP's `[INFO]`, xrdp's `[ERROR]`, `level=warn`)
    // decides: "resetting error state" in an INFO line is no error.
    static FIELD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\[\s*(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRIT|CRITICAL)\s*\]|\blevel=(trace|debug|info|warn|warning|error|fatal)\b",
        )
        .expect("a constant, valid regex")
    });
    let head = line.get(..line.len().min(120)).unwrap_or(line);
    if let Some(field) = FIELD
        .captures(head)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
    {
        let field = field.as_str().to_ascii_uppercase();
        return match field.as_str() {
            "ERROR" | "FATAL" | "CRIT" | "CRITICAL" => Level::Error,
            "WARN" | "WARNING" => Level::Warning,
            // A line logged as information that still names a connection error code.
            _ if head.contains("ERRCONNECT_") => Level::Error,
            _ => Level::Info,
        };
    }
    let head: String = head.to_ascii_uppercase();
    if ["ERROR", "FATAL", "[E]", "CRIT", "AUTHFAIL", "ERRCONNECT_"]
        .iter()
        .any(|w| head.contains(w))
    {
        Level::Error
    } else if head.contains("WARN") {
        Level::Warning
    } else {
        Level::Info
    }
}

fn shortened(text: &str) -> String {
    crate::render::shorten(text.trim_end(), SAMPLE_CHARS)
}

impl<'k> Scanner<'k> {
    /// A scanner over `knowledge`.
    pub fn new(knowledge: &'k Knowledge) -> Scanner<'k> {
        Scanner {
            knowledge,
            extractor: Extractor::new(knowledge),
            matcher: Matcher::new(knowledge),
            triggers: std::sync::OnceLock::new(),
            problems: Vec::new(),
            by_id: HashMap::new(),
            inputs: Vec::new(),
            diagnosed: 0,
            notices: Vec::new(),
            cache: HashMap::new(),
            window: (None, None),
            outside: 0,
            undated: 0,
            episodes: Episodes::default(),
            kerberos: knowledge
                .catalog
                .entries()
                .iter()
                .filter_map(|e| {
                    let symbol = e.symbol.as_ref()?;
                    (symbol.starts_with("KDC_ERR_") || symbol.starts_with("KRB_"))
                        .then_some((e, symbol))
                })
                .flat_map(|(e, symbol)| {
                    e.aliases
                        .iter()
                        .filter_map(|a| Code::parse(a))
                        .map(move |c| (c.0, symbol.clone()))
                })
                .collect(),
            providers: knowledge
                .catalog
                .entries()
                .iter()
                .flat_map(|e| {
                    // As written (the common case, no work per event) and compared loosely.
                    e.providers
                        .iter()
                        .flat_map(|p| [p.clone(), provider_key(p)])
                })
                .collect(),
        }
    }

    /// Keeps only lines and events from `since` to `until` (sortable times, see
    /// [`sortable_time`]); lines that give no date are kept and counted.
    pub fn window(&mut self, since: Option<String>, until: Option<String>) {
        self.window = (since, until);
    }

    /// Whether a line or event of this time is inside `--since` / `--until`.
    fn inside(&mut self, time: Option<&str>) -> bool {
        if self.window == (None, None) {
            return true;
        }
        let Some(time) = time.and_then(sortable_time) else {
            self.undated += 1;
            return true;
        };
        let (since, until) = &self.window;
        let inside = since.as_ref().is_none_or(|s| time.as_str() >= s.as_str())
            && until.as_ref().is_none_or(|u| time.as_str() <= u.as_str());
        self.outside += u64::from(!inside);
        inside
    }

    /// Adds a fact about the run to the report.
    pub fn notice(&mut self, notice: String) {
        self.notices.push(notice);
    }

    /// Reads one input to its end. What it is, is recognised by its first bytes: gzip, UTF-16
    /// with a byte-order mark (what Event Viewer's "Save as text" writes, read as UTF-8), an
    /// EVTX file, an XML, JSON or CSV event export, or text.
    pub fn read(&mut self, name: &str, reader: impl Read) -> std::io::Result<()> {
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        if buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
            let decoded = BufReader::new(flate2::bufread::MultiGzDecoder::new(buffered));
            return self.read_decoded(name, decoded, true);
        }
        self.read_decoded(name, buffered, false)
    }

    /// Reads a file, which may be an EVTX file read in place (records are found by seeking).
    pub fn read_file(&mut self, name: &str, mut file: impl Read + Seek) -> std::io::Result<()> {
        let mut magic = [0u8; 8];
        let read = read_full(&mut file, &mut magic)?;
        file.rewind()?;
        if magic[..read] == *EVTX_MAGIC {
            self.read_evtx(name, file, false);
            return Ok(());
        }
        self.read(name, file)
    }

    fn read_decoded(
        &mut self,
        name: &str,
        mut reader: impl BufRead,
        gzip: bool,
    ) -> std::io::Result<()> {
        if let Some(encoding) = utf16_of(reader.fill_buf()?) {
            let decoded = BufReader::with_capacity(64 * 1024, Utf16Reader::new(reader, encoding));
            return self.read_sniffed(name, decoded, gzip);
        }
        self.read_sniffed(name, reader, gzip)
    }

    /// Reads UTF-8 text (or an EVTX file from a stream) by what its start shows it is.
    fn read_sniffed(
        &mut self,
        name: &str,
        mut reader: impl BufRead,
        gzip: bool,
    ) -> std::io::Result<()> {
        let start = reader.fill_buf()?;
        if start.starts_with(EVTX_MAGIC) {
            // EVTX needs to seek: from a pipe or gzip it is read into memory, up to a limit.
            let mut bytes = Vec::new();
            reader
                .by_ref()
                .take(MAX_EVTX_IN_MEMORY + 1)
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_EVTX_IN_MEMORY {
                self.notice(format!(
                    "{name}: an EVTX file over {} MiB from a pipe or gzip; give it as a plain file",
                    MAX_EVTX_IN_MEMORY >> 20
                ));
                return Ok(());
            }
            self.read_evtx(name, std::io::Cursor::new(bytes), gzip);
            return Ok(());
        }
        // Bytes read from an event export, for its summary.
        let bytes = std::cell::Cell::new(0u64);
        match sniff(start) {
            Sniffed::Xml => {
                let mut counted = BufReader::new(Counting(reader, &bytes));
                let read = xml::read_xml(&mut counted, |position, event| {
                    self.event(name, position, event)
                });
                self.events_read(name, "xml", gzip, read, bytes.get());
                Ok(())
            }
            Sniffed::Json => self.read_json(name, reader, gzip),
            Sniffed::Table(delimiter) => {
                let counted = Counting(reader, &bytes);
                let read = table::read_table(counted, delimiter, |line, event| {
                    self.event(name, line, event)
                });
                self.events_read(name, "csv", gzip, read, bytes.get());
                Ok(())
            }
            Sniffed::Text => self.read_chunks(name, reader, gzip),
        }
    }

    /// Reads an input a chunk at a time and searches each chunk whole: only the lines around
    /// a trigger are cut out and diagnosed, the others are only counted.
    fn read_chunks(
        &mut self,
        name: &str,
        mut reader: impl Read,
        gzip: bool,
    ) -> std::io::Result<()> {
        let mut summary = self.summary(name, "text", gzip);
        let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK_BYTES + MAX_LINE_BYTES);
        // Line ends before the chunk being searched, and whether the input ended mid-line.
        let mut newlines = 0u64;
        let mut last_byte = b'\n';
        loop {
            let filled = buffer.len();
            buffer.resize(filled + CHUNK_BYTES, 0);
            let read = read_full(&mut reader, &mut buffer[filled..])?;
            buffer.truncate(filled + read);
            let eof = read == 0;
            if buffer.is_empty() {
                break;
            }
            summary.bytes += read as u64;
            let end = match memchr::memrchr(b'\n', &buffer) {
                Some(at) => at + 1,
                // A line longer than the limit: its first part is searched, the rest skipped.
                None if eof || buffer.len() >= MAX_LINE_BYTES => {
                    summary.long_lines += u64::from(!eof);
                    buffer.len()
                }
                None => continue,
            };
            self.search(name, &buffer[..end], newlines);
            let (ends, long) = line_ends(&buffer[..end]);
            newlines += ends;
            summary.long_lines += long;
            last_byte = buffer[end - 1];
            buffer.drain(..end);
            if eof {
                break;
            }
        }
        summary.lines = newlines + u64::from(last_byte != b'\n');
        self.inputs.push(summary);
        Ok(())
    }

    /// Diagnoses each line of `chunk` (whole lines, `newlines` line ends before it) that holds
    /// a trigger. The search for triggers runs on every core, the diagnoses in line order.
    fn search(&mut self, name: &str, chunk: &[u8], newlines: u64) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        let mut parts = Vec::with_capacity(threads);
        let mut from = 0;
        for part in 1..=threads {
            let goal = chunk.len() * part / threads;
            let to = if part == threads || goal <= from {
                chunk.len()
            } else {
                memchr::memchr(b'\n', &chunk[goal..]).map_or(chunk.len(), |i| goal + i + 1)
            };
            if to > from {
                parts.push(from..to);
            }
            from = to;
        }
        let knowledge = self.knowledge;
        let triggers = self.triggers.get_or_init(|| trigger_automaton(knowledge));
        let spans: Vec<(usize, usize)> = if parts.len() > 1 && chunk.len() >= PARALLEL_BYTES {
            std::thread::scope(|scope| {
                let handles: Vec<_> = parts
                    .iter()
                    .map(|part| {
                        let part = part.clone();
                        scope.spawn(move || triggered_lines(triggers, chunk, part))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        } else {
            triggered_lines(triggers, chunk, 0..chunk.len())
        };
        let mut counted = 0;
        let mut before = newlines;
        for (start, end) in spans {
            before += memchr::memchr_iter(b'\n', &chunk[counted..start]).count() as u64;
            counted = start;
            let mut line = &chunk[start..end.min(start + MAX_LINE_BYTES)];
            while let [rest @ .., b'\r'] = line {
                line = rest;
            }
            let text = match std::str::from_utf8(line) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(line),
            };
            self.diagnose_line(name, before + 1, &text);
        }
    }

    /// The diagnosis of a line's words; a line repeated with another time or thread id is
    /// diagnosed once.
    fn verdict(&mut self, text: &str) -> Option<Verdict> {
        let key = PREFIX.replace(text, "");
        self.verdict_keyed(text, &key)
    }

    /// The diagnosis of `text`, cached under `key` (the text without what changes from one
    /// repetition to the next).
    fn verdict_keyed(&mut self, text: &str, key: &str) -> Option<Verdict> {
        if let Some(verdict) = self.cache.get(key) {
            return verdict.clone();
        }
        let extraction = self.extractor.extract(text);
        let candidates = self.matcher.rank(&extraction, text);
        let hosts: Vec<String> = extraction.hosts.iter().map(|h| h.host.clone()).collect();
        let verdict = if let Some(best) = candidates.first() {
            let rule = &self.knowledge.rules[best.rule];
            Some(Verdict {
                kind: "rule",
                id: rule.id.clone(),
                title: rule.title.clone(),
                category: rule.category.as_str().to_string(),
                score: best.score,
                hosts,
            })
        } else {
            meanings(self.knowledge, &extraction, &candidates)
                .first()
                // A number no label names and no rule explains (`error state 0x0`) is too
                // weak a reading to make a problem of.
                .filter(|best| best.score >= MIN_MEANING_SCORE)
                .map(|best| {
                    let entry = &self.knowledge.catalog.entries()[best.entry];
                    Verdict {
                        kind: "catalog",
                        id: entry.key(),
                        title: entry.title(),
                        category: entry
                            .category
                            .unwrap_or(crate::catalog::Category::Other)
                            .as_str()
                            .to_string(),
                        score: best.score,
                        hosts,
                    }
                })
        };
        // Memory stays bounded: a log of ever-new lines starts the cache afresh.
        if self.cache.len() >= CACHE_LINES {
            self.cache.clear();
        }
        self.cache.insert(key.to_string(), verdict.clone());
        verdict
    }

    fn diagnose_line(&mut self, input: &str, number: u64, text: &str) {
        let time = time_of(text);
        if !self.inside(time.as_deref()) {
            return;
        }
        let Some(verdict) = self.verdict(text) else {
            return;
        };
        let seen = Seen {
            input: input.to_string(),
            line: number,
            time,
            record: None,
        };
        let level = level_of(text);
        if let Some(key) = line_key(text) {
            let step = Step {
                seen: seen.clone(),
                level,
                id: verdict.id.clone(),
                title: verdict.title.clone(),
            };
            self.episodes.add(key, step, Who::default());
        }
        self.problem(seen, level, text, text, verdict);
    }

    /// The catalog entry of an event's ID, when the catalog gives that ID this meaning for
    /// the event's provider (or names no provider).
    fn event_entry(&self, event: &WinEvent) -> Option<&'k CatalogEntry> {
        let entry = self
            .knowledge
            .catalog
            .get(Family::EventId, Code(event.id))?;
        let same =
            |p: &String| *p == event.provider || provider_key(p) == provider_key(&event.provider);
        (entry.providers.is_empty()
            || event.provider.is_empty()
            || entry.providers.iter().any(same))
        .then_some(entry)
    }

    /// Diagnoses one Windows event: one the catalog knows for its provider, or a warning or an
    /// error of a provider the catalog knows (one that logs about Remote Desktop). An
    /// informational event is a step of its attempt, and a problem only when the catalog
    /// gives it a category.
    fn event(&mut self, input: &str, position: u64, mut event: WinEvent) {
        if !self.inside(event.time.as_deref()) {
            return;
        }
        let entry = self.event_entry(&event);
        let rdp = || {
            self.providers.contains(event.provider.as_str())
                || self.providers.contains(&provider_key(&event.provider))
        };
        if entry.is_none() && (event.level == Level::Info || !rdp()) {
            return;
        }
        event.load_fields();
        let event = &event;
        // The text holds no time or thread id: it is its own key.
        let text = event_text(event, entry.is_some(), &self.kerberos);
        let Some(mut verdict) = self.verdict_keyed(&text, &text) else {
            return;
        };
        // The hosts are the event's own: the client's address and the computer that logged it.
        verdict.hosts = CLIENT_FIELDS
            .iter()
            .find_map(|f| event.field(f))
            .map(str::to_string)
            .into_iter()
            .chain((!event.computer.is_empty()).then(|| event.computer.clone()))
            .collect();
        let seen = Seen {
            input: input.to_string(),
            line: position,
            time: event.time.clone(),
            record: event.record,
        };
        if let Some(key) = event_key(event) {
            let step = Step {
                seen: seen.clone(),
                level: event.level,
                id: verdict.id.clone(),
                title: verdict.title.clone(),
            };
            let who = Who {
                user: USER_FIELDS
                    .iter()
                    .find_map(|f| event.field(f))
                    .map(str::to_string),
                client: CLIENT_FIELDS
                    .iter()
                    .find_map(|f| event.field(f))
                    .map(str::to_string),
                computer: (!event.computer.is_empty()).then(|| event.computer.clone()),
            };
            self.episodes.add(key, step, who);
        }
        let categorised = entry.is_some_and(|e| e.category.is_some_and(|c| c != Category::Other));
        if event.level == Level::Info && !categorised {
            return;
        }
        self.problem(seen, event.level, &event_line(event), &text, verdict);
    }

    /// Counts a diagnosed line or event under its problem; `diagnosed` is the text the
    /// verdict was made from, `text` the sample shown.
    fn problem(&mut self, seen: Seen, level: Level, text: &str, diagnosed: &str, verdict: Verdict) {
        self.diagnosed += 1;
        let index = match self.by_id.get(&verdict.id) {
            Some(&index) => index,
            None => {
                self.problems.push(ScanProblem {
                    kind: verdict.kind,
                    id: verdict.id.clone(),
                    title: verdict.title.clone(),
                    category: verdict.category.clone(),
                    score: verdict.score,
                    level,
                    count: 0,
                    first: seen.clone(),
                    last: seen.clone(),
                    hosts: Vec::new(),
                    samples: Vec::new(),
                    diagnosed_text: String::new(),
                });
                self.by_id
                    .insert(verdict.id.clone(), self.problems.len() - 1);
                self.problems.len() - 1
            }
        };
        let problem = &mut self.problems[index];
        problem.count += 1;
        problem.score = problem.score.max(verdict.score);
        for host in verdict.hosts {
            if problem.hosts.len() < MAX_HOSTS && !problem.hosts.contains(&host) {
                problem.hosts.push(host);
            }
        }
        let sample = Sample {
            seen: seen.clone(),
            text: shortened(text),
        };
        // The first line, then the worst one: a later line of a higher level replaces the
        // second sample, else the last line seen does.
        if problem.samples.len() < SAMPLES {
            problem.samples.push(sample);
        } else if level >= problem.level {
            problem.samples[SAMPLES - 1] = sample;
        }
        if level >= problem.level {
            problem.diagnosed_text.clear();
            problem.diagnosed_text.push_str(diagnosed);
        }
        problem.level = problem.level.max(level);
        problem.last = seen;
    }

    /// Records how reading an event export ended.
    fn events_read(
        &mut self,
        name: &str,
        format: &'static str,
        gzip: bool,
        read: EventsRead,
        bytes: u64,
    ) {
        let mut summary = self.summary(name, format, gzip);
        summary.bytes = bytes;
        summary.events = read.events;
        summary.unreadable = read.broken;
        if let Some(error) = read.error {
            self.notice(format!("{name}: {error}"));
        }
        self.inputs.push(summary);
    }

    fn summary(&self, name: &str, format: &'static str, gzip: bool) -> InputSummary {
        InputSummary {
            name: name.to_string(),
            format,
            lines: 0,
            events: 0,
            unreadable: 0,
            bytes: 0,
            gzip,
            long_lines: 0,
        }
    }

    /// Reads the records of an EVTX file.
    fn read_evtx(&mut self, name: &str, mut reader: impl Read + Seek, gzip: bool) {
        let mut summary = self.summary(name, "evtx", gzip);
        summary.bytes = reader.seek(std::io::SeekFrom::End(0)).unwrap_or(0);
        let _ = reader.rewind();
        match events::read_evtx(reader, |position, event| self.event(name, position, event)) {
            Ok((read, broken)) => {
                summary.events = read;
                summary.unreadable = broken;
            }
            Err(problem) => self.notice(format!("{name}: not a readable EVTX file: {}", problem.0)),
        }
        self.inputs.push(summary);
    }

    /// Reads JSON events: one per line (evtx_dump's `jsonl`, Winlogbeat), or JSON values one
    /// after another or in a list (`Get-WinEvent | ConvertTo-Json`). A line that is not an
    /// event is read as a log line.
    fn read_json(
        &mut self,
        name: &str,
        mut reader: impl BufRead,
        gzip: bool,
    ) -> std::io::Result<()> {
        let mut summary = self.summary(name, "json", gzip);
        let start = reader.fill_buf()?;
        let first_line = start.split(|b| *b == b'\n').next().unwrap_or_default();
        let one_per_line =
            serde_json::from_slice::<serde_json::Value>(first_line).is_ok_and(|v| v.is_object());
        if one_per_line {
            let mut line = Vec::new();
            let mut number = 0u64;
            loop {
                line.clear();
                let read = reader
                    .by_ref()
                    .take(MAX_LINE_BYTES as u64)
                    .read_until(b'\n', &mut line)?;
                if read == 0 {
                    break;
                }
                number += 1;
                if !line.ends_with(b"\n") && read == MAX_LINE_BYTES {
                    summary.long_lines += 1;
                    let mut rest = Vec::new();
                    reader.read_until(b'\n', &mut rest)?;
                }
                summary.bytes += line.len() as u64;
                let event = serde_json::from_slice::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| events::from_json(&v));
                match event {
                    Some(event) => {
                        summary.events += 1;
                        self.event(name, number, event);
                    }
                    None if line.trim_ascii().is_empty() => {}
                    None => {
                        summary.unreadable += 1;
                        let text = line.trim_ascii_end().to_vec();
                        self.search(name, &text, number - 1);
                    }
                }
            }
            summary.lines = number;
        } else {
            let mut count = |value: serde_json::Value| match events::from_json(&value) {
                Some(event) => {
                    summary.events += 1;
                    self.event(name, summary.events, event);
                }
                None => summary.unreadable += 1,
            };
            let bytes = std::cell::Cell::new(0u64);
            let counted = Counting(reader.take(MAX_JSON_BYTES), &bytes);
            let mut json = serde_json::Deserializer::from_reader(counted);
            let result = loop {
                match serde::Deserializer::deserialize_any(&mut json, Each(&mut count)) {
                    Ok(()) => {}
                    Err(error) if error.is_eof() => break Ok(()),
                    Err(error) => break Err(error),
                }
            };
            summary.bytes = bytes.get();
            if let Err(error) = result {
                self.notice(format!("{name}: JSON read stopped: {error}"));
            }
        }
        self.inputs.push(summary);
        Ok(())
    }

    /// The report: problems worst first (level, then confidence, then the latest seen).
    pub fn finish(mut self, redactor: Option<&mut Redactor>) -> ScanReport {
        self.problems.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then_with(|| b.score.total_cmp(&a.score))
                .then_with(|| a.id.cmp(&b.id))
        });
        let (mut episodes, totals) = std::mem::take(&mut self.episodes).finish();
        if let Some(redactor) = redactor {
            for problem in &self.problems {
                for sample in &problem.samples {
                    redactor.learn_text(&sample.text);
                }
                problem.hosts.iter().for_each(|h| redactor.learn_host(h));
            }
            for episode in &episodes {
                redactor.learn_text(&episode.key);
                for user in &episode.users {
                    redactor.learn(redact::Kind::User, user);
                }
                episode.clients.iter().for_each(|c| redactor.learn_host(c));
                episode.computer.iter().for_each(|c| redactor.learn_host(c));
            }
            for problem in &mut self.problems {
                for sample in &mut problem.samples {
                    sample.text = redactor.apply(&sample.text);
                }
                problem.hosts = problem.hosts.iter().map(|h| redactor.apply(h)).collect();
            }
            for episode in &mut episodes {
                episode.key = redactor.apply(&episode.key);
                for list in [&mut episode.users, &mut episode.clients] {
                    *list = list.iter().map(|v| redactor.apply(v)).collect();
                }
                episode.computer = episode.computer.as_deref().map(|c| redactor.apply(c));
            }
        }
        ScanReport {
            version: SCAN_VERSION,
            inputs: self.inputs,
            diagnosed_lines: self.diagnosed,
            outside_window: self.outside,
            undated: self.undated,
            problems: self.problems,
            attempts: Attempts {
                total: totals.total,
                failed: totals.failed,
                not_listed: totals.dropped,
            },
            episodes,
            notices: self.notices,
        }
    }
}

/// Security events whose result is a Kerberos error code: 4768 (TGT requested), 4769
/// (service ticket requested), 4771 (pre-authentication failed), 4772 and 4773 (failed
/// requests).
const KERBEROS_EVENTS: &[u32] = &[4768, 4769, 4771, 4772, 4773];

/// Event fields a sample line shows first, in this order.
const SAMPLE_FIELDS: &[&str] = &[
    "SubStatus",
    "Status",
    "FailureCode",
    "ErrorCode",
    "Reason",
    "TargetUserName",
    "UserName",
    "IpAddress",
    "ClientIP",
    "IPString",
    "LogonType",
];

/// Event fields that name the user who connected.
const USER_FIELDS: &[&str] = &[
    "TargetUserName",
    "UserName",
    "User",
    "AccountName",
    "Username",
];

/// Event fields that name the client's address.
const CLIENT_FIELDS: &[&str] = &[
    "IpAddress",
    "ClientIP",
    "IPString",
    "ClientAddress",
    "Address",
    "Workstation",
];

/// A provider's name compared without case, punctuation or the `Microsoft-Windows-` prefix:
/// Event Viewer shows `Microsoft Windows security auditing.` for
/// `Microsoft-Windows-Security-Auditing`.
fn provider_key(provider: &str) -> String {
    let key: String = provider
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key.strip_prefix("microsoftwindows")
        .map(str::to_string)
        .unwrap_or(key)
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "Error",
        Level::Warning => "Warning",
        Level::Info => "Information",
    }
}

/// An event written out as Event Viewer's text, to be diagnosed like a pasted event. The
/// event ID is left out when the catalog gives it another provider's meaning.
fn event_text(event: &WinEvent, known: bool, kerberos: &HashMap<u32, String>) -> String {
    // The log and the provider are left out: they named the event already (its ID is only
    // written when the catalog gives it this provider's meaning), and their words would only
    // match rules that name them in passing.
    // Who and where (users, addresses, computers, ids) are left out too: they say nothing of
    // why, and without them the events of one kind read the same and are diagnosed once.
    let mut text = String::new();
    if known {
        text.push_str(&format!("Event ID: {}\n", event.id));
    }
    text.push_str(&format!("Level: {}\n", level_word(event.level)));
    if let Some(message) = &event.message {
        text.push_str("Description:\n");
        text.push_str(message);
        text.push('\n');
    }
    // A failed logon's Status is the general reason (0xc000006d, "logon failure"); its
    // SubStatus, when it gives one, is the precise one, and alone decides the diagnosis.
    let precise = event.field("SubStatus").is_some_and(|v| {
        !v.trim_start_matches("0x")
            .trim_start_matches('0')
            .is_empty()
    });
    for (name, value) in &event.fields {
        if precise && name.eq_ignore_ascii_case("Status") || identity(name) {
            continue;
        }
        // A Kerberos ticket event's result is a Kerberos error (0x18 a wrong password), not
        // the ERRINFO or disconnect code a bare number would be read as: its symbol is written.
        if KERBEROS_EVENTS.contains(&event.id)
            && ["FailureCode", "Status", "ResultCode"]
                .iter()
                .any(|f| name.eq_ignore_ascii_case(f))
        {
            if let Some(symbol) = Code::parse(value).and_then(|c| kerberos.get(&c.0)) {
                text.push_str(&format!("{name}: {symbol}\n"));
            }
            continue;
        }
        text.push_str(&format!("{name}: {value}\n"));
    }
    text
}

/// Whether an event field names who or where (a user, an address, a computer, an id) rather
/// than what happened.
fn identity(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "user",
        "name",
        "sid",
        "address",
        "ip",
        "ipstring",
        "port",
        "workstation",
        "computer",
        "logonid",
        "processid",
        "threadid",
        "guid",
        "domain",
        "time",
        "session",
        "sessionid",
        "activityid",
        "id",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix))
}

/// An event in one line, for samples: `Schannel 36871 (Error): message` or its fields.
fn event_line(event: &WinEvent) -> String {
    let mut line = format!(
        "{} {} ({})",
        event
            .provider
            .strip_prefix("Microsoft-Windows-")
            .unwrap_or(&event.provider),
        event.id,
        level_word(event.level)
    );
    match &event.message {
        Some(message) => {
            line.push_str(": ");
            line.push_str(&message.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        None => {
            // What says why first (status, reason, error), then who, then the rest; security
            // identifiers and the subject of a Security event (the service that logged it) add
            // nothing to a sample.
            let rank = |name: &str| {
                SAMPLE_FIELDS
                    .iter()
                    .position(|f| f.eq_ignore_ascii_case(name))
                    .unwrap_or(SAMPLE_FIELDS.len())
            };
            let mut fields: Vec<&(String, String)> = event
                .fields
                .iter()
                .filter(|(name, value)| !name.starts_with("Subject") && !value.starts_with("S-1-"))
                .collect();
            fields.sort_by_key(|(name, _)| rank(name));
            for (n, (name, value)) in fields.into_iter().enumerate() {
                line.push_str(if n == 0 { ": " } else { ", " });
                line.push_str(&format!(
                    "{name}={}",
                    value.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    line
}

/// What ties an event to the others of its connection attempt: its ActivityID, else its
/// session, else the client's address (on the computer that logged it).
fn event_key(event: &WinEvent) -> Option<String> {
    if let Some(activity) = &event.activity {
        if activity.chars().any(|c| c.is_ascii_hexdigit() && c != '0') {
            return Some(format!("activity {}", activity.to_lowercase()));
        }
    }
    let on = if event.computer.is_empty() {
        String::new()
    } else {
        format!(" on {}", event.computer)
    };
    if let Some(session) = ["SessionID", "Session", "SessionId", "TargetSessionId"]
        .iter()
        .find_map(|f| event.field(f))
    {
        return Some(format!("session {session}{on}"));
    }
    CLIENT_FIELDS
        .iter()
        .find_map(|f| event.field(f))
        .map(|client| format!("client {client}{on}"))
}

/// What ties a log line to the others of its connection attempt: FreeRDP's process id
/// (`[1234:5678]`), or a syslog program and process (`guacd[1234]:`, one per connection).
fn line_key(text: &str) -> Option<String> {
    static KEY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*\[[\d:./ -]+\]\s*\[(\d+):\d+\]|\b([A-Za-z][\w.-]*)\[(\d+)\]:")
            .expect("a constant, valid regex")
    });
    let head = text.get(..text.len().min(120)).unwrap_or(text);
    let captures = KEY.captures(head)?;
    if let Some(process) = captures.get(1) {
        return Some(format!("process {}", process.as_str()));
    }
    Some(format!(
        "{}[{}]",
        captures.get(2)?.as_str(),
        captures.get(3)?.as_str()
    ))
}

/// Hands each event of a JSON value to a function: the value itself, or each item of a list.
struct Each<'f, F>(&'f mut F);

impl<'de, F: FnMut(serde_json::Value)> serde::de::Visitor<'de> for Each<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object or a list of them")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            (self.0)(value);
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value =
            serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        (self.0)(value);
        Ok(())
    }
}

/// A reader that counts the bytes read through it.
struct Counting<'c, R>(R, &'c std::cell::Cell<u64>);

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.0.read(buffer)?;
        self.1.set(self.1.get() + read as u64);
        Ok(read)
    }
}

/// The first bytes of an EVTX file.
const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The largest EVTX file read from a pipe or gzip (into memory: EVTX needs to seek).
const MAX_EVTX_IN_MEMORY: u64 = 1024 * 1024 * 1024;

/// The longest JSON line or JSON list read as events, in bytes.
const MAX_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// What an input's start shows it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    /// An XML event export.
    Xml,
    /// JSON lines or a JSON list of events.
    Json,
    /// An event export table with this delimiter.
    Table(u8),
    /// A log or pasted text.
    Text,
}

/// Whether an input's first bytes are those of a Windows event log: an EVTX file, or an XML,
/// JSON or CSV export of events.
pub fn is_event_log(start: &[u8]) -> bool {
    start.starts_with(EVTX_MAGIC) || utf16_of(start).is_none() && sniff(start) != Sniffed::Text
}

/// What an input is, from its first bytes (after any byte-order mark and white space).
fn sniff(start: &[u8]) -> Sniffed {
    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
    let trimmed = start.trim_ascii_start();
    let head = String::from_utf8_lossy(&trimmed[..trimmed.len().min(8192)]);
    if head.starts_with('<')
        && (head.contains("<Event") || head.contains("<Objects") || head.contains("<Object "))
    {
        return Sniffed::Xml;
    }
    if let Some(rest) = head.strip_prefix('[') {
        if rest.trim_start().starts_with('{') {
            return Sniffed::Json;
        }
    }
    if head.starts_with('{') {
        return Sniffed::Json;
    }
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default();
    if first.starts_with("#TYPE") {
        first = lines.next().unwrap_or_default();
    }
    match table::header_of(first) {
        Some((delimiter, _)) => Sniffed::Table(delimiter),
        None => Sniffed::Text,
    }
}

/// The words a text line is diagnosed for: failure words of every language, catalog symbols
/// and the starts of catalog messages, searched at once in any case.
fn trigger_automaton(knowledge: &Knowledge) -> AhoCorasick {
    let mut words: BTreeSet<String> = FAILURE_WORDS
        .iter()
        .chain(ERROR_WORDS)
        .map(|w| w.to_string())
        .collect();
    for entry in knowledge.catalog.entries() {
        if let Some(symbol) = &entry.symbol {
            if symbol.len() >= 6 {
                words.insert(symbol.to_lowercase());
            }
        }
        for message in entry.messages.values().flatten() {
            // The start of a message, before any placeholder, long enough to be its own.
            let start: String = message
                .split('{')
                .next()
                .unwrap_or_default()
                .to_lowercase()
                .chars()
                .take(24)
                .collect();
            if start.chars().count() >= 12 {
                words.insert(start);
            }
        }
    }
    // A DFA: the fastest search over thousands of patterns (0.50 s against 0.57 s for 100 MB
    // here), for about 50 MB more memory that does not grow with the input.
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostFirst)
        .build(&words)
        .expect("literal patterns build")
}

/// The lines (start and end, without the line end) of `chunk[range]` that hold a trigger;
/// `range` starts at a line's start.
fn triggered_lines(
    triggers: &AhoCorasick,
    chunk: &[u8],
    range: std::ops::Range<usize>,
) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let input = aho_corasick::Input::new(chunk).span(at..range.end);
        let Some(hit) = triggers.find(input) else {
            break;
        };
        let start = memchr::memrchr(b'\n', &chunk[range.start..hit.start()])
            .map_or(range.start, |i| range.start + i + 1);
        let end = memchr::memchr(b'\n', &chunk[hit.start()..range.end])
            .map_or(range.end, |i| hit.start() + i);
        lines.push((start, end));
        at = end + 1;
    }
    lines
}

/// How many line ends `chunk` holds, and how many of its lines are longer than
/// [`MAX_LINE_BYTES`].
fn line_ends(chunk: &[u8]) -> (u64, u64) {
    let (mut ends, mut long, mut start) = (0, 0, 0);
    for at in memchr::memchr_iter(b'\n', chunk) {
        ends += 1;
        long += u64::from(at - start > MAX_LINE_BYTES);
        start = at + 1;
    }
    (ends, long)
}

/// The UTF-16 encoding whose byte-order mark `start` begins with.
fn utf16_of(start: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match start {
        [0xff, 0xfe, ..] => Some(encoding_rs::UTF_16LE),
        [0xfe, 0xff, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// A UTF-16 input read as UTF-8, a buffer at a time (the byte-order mark is dropped).
struct Utf16Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    decoded: String,
    at: usize,
    done: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 64 * 1024],
            decoded: String::new(),
            at: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.decoded.len() && !self.done {
            let read = self.inner.read(&mut self.raw)?;
            self.done = read == 0;
            self.decoded.clear();
            self.at = 0;
            let room = self
                .decoder
                .max_utf8_buffer_length(read)
                .unwrap_or(read * 3 + 16);
            self.decoded.reserve(room);
            let _ = self
                .decoder
                .decode_to_string(&self.raw[..read], &mut self.decoded, self.done);
        }
        let rest = &self.decoded.as_bytes()[self.at..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// Fills `buffer` from `reader` as far as it goes; fewer bytes only at the end of the input.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_the_usual_log_shapes() {
        assert_eq!(
            time_of("[20:01:26:123] [1234:5678] [ERROR][com.freerdp.core] - x").as_deref(),
            Some("20:01:26:123")
        );
        assert_eq!(
            time_of("[20190605-20:01:26] [INFO ] sesman").as_deref(),
            Some("20190605-20:01:26")
        );
        assert_eq!(
            time_of("2024-01-05T10:11:12.345Z error").as_deref(),
            Some("2024-01-05T10:11:12.345Z")
        );
        assert_eq!(
            time_of("Dec  7 20:01:26 host guacd[1]: error").as_deref(),
            Some("Dec  7 20:01:26")
        );
        assert_eq!(time_of("no time here 20:01:26"), None);
    }

    /// A Kerberos failure (4771's FailureCode) is read as the Kerberos error it is, not as the
    /// ERRINFO code of the same number; 4776's Status stays an NTSTATUS.
    #[test]
    fn kerberos_failure_codes_are_decoded() {
        let knowledge = &Knowledge::embedded();
        let scanner = Scanner::new(knowledge);
        let event = |id: u32, field: &str, value: &str| {
            let mut event = WinEvent::default();
            event.provider = "Microsoft-Windows-Security-Auditing".into();
            event.id = id;
            event.level = Level::Error;
            event.fields = vec![(field.into(), value.into())];
            event
        };
        let text = event_text(&event(4771, "FailureCode", "0x18"), true, &scanner.kerberos);
        assert!(
            text.contains("FailureCode: KDC_ERR_PREAUTH_FAILED"),
            "{text}"
        );
        let text = event_text(&event(4771, "FailureCode", "0x25"), true, &scanner.kerberos);
        assert!(text.contains("KRB_AP_ERR_SKEW"), "{text}");
        let text = event_text(
            &event(4776, "Status", "0xc000006a"),
            true,
            &scanner.kerberos,
        );
        assert!(text.contains("Status: 0xc000006a"), "{text}");
    }

    #[test]
    fn levels_of_lines() {
        assert_eq!(
            level_of(
                "[21:24:44:353] [4551:4552] [INFO][com.freerdp.core] - freerdp_tcp_connect: resetting error state 0x0"
            ),
            Level::Info
        );
        assert_eq!(
            level_of("[20190605-20:01:26] [ERROR] xrdp_sec_incoming: error"),
            Level::Error
        );
        assert_eq!(level_of("guacd[1]: Connection failed: error"), Level::Error);
        assert_eq!(level_of("[ERROR][com.freerdp.core] - failed"), Level::Error);
        assert_eq!(
            level_of("[WARN][com.freerdp.crypto] - certificate"),
            Level::Warning
        );
        assert_eq!(level_of("[INFO ] disconnected"), Level::Info);
    }

    /// An event saved as text by Event Viewer is UTF-16 with a byte-order mark, plain or
    /// gzip-compressed: read as the same lines as its UTF-8 text.
    #[test]
    fn utf16_event_exports_are_read_as_text() {
        let knowledge = &Knowledge::embedded();
        let text = "Log Name:      System\r\nSource:        Schannel\r\nEvent ID:      36870\r\nLevel:         Error\r\nDescription:\r\nA fatal error occurred when attempting to access the TLS server credential private key. The error code returned from the cryptographic module is 0x8009030D.\r\n";
        let report = |bytes: &[u8]| {
            let mut scanner = Scanner::new(knowledge);
            scanner.read("event.txt", bytes).unwrap();
            let report = scanner.finish(None);
            let problems: Vec<(String, u64, u64)> = report
                .problems
                .iter()
                .map(|p| (p.id.clone(), p.count, p.first.line))
                .collect();
            (report.inputs[0].lines, problems)
        };
        let utf8 = report(text.as_bytes());
        assert!(!utf8.1.is_empty(), "the event names a problem");
        let mut little: Vec<u8> = vec![0xff, 0xfe];
        little.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(report(&little), utf8);
        let mut big: Vec<u8> = vec![0xfe, 0xff];
        big.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(report(&big), utf8);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &little).unwrap();
        assert_eq!(report(&encoder.finish().unwrap()), utf8);
    }

    /// Lines counted and numbered across chunks, a last line without its end, a line longer
    /// than the limit (cut, counted once), gzip, and a repeated line diagnosed once.
    #[test]
    fn lines_are_counted_and_numbered_across_chunks() {
        let knowledge = &Knowledge::embedded();
        let failure = "[ERROR][com.freerdp.core] - ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]";
        let mut text = String::new();
        let mut expected = Vec::new();
        for n in 1..=300_000u64 {
            if n % 50_000 == 0 {
                text.push_str(&format!("[10:00:{:02}:000] [1:{n}] {failure}", n / 50_000));
                expected.push(n);
            } else if n == 123_456 {
                text.push_str(&"x".repeat(MAX_LINE_BYTES * 3));
            } else {
                text.push_str("[INFO][com.freerdp.client] - nothing to see");
            }
            text.push('\n');
        }
        text.push_str(failure);
        expected.push(300_001);
        let mut scanner = Scanner::new(knowledge);
        scanner.read("log", text.as_bytes()).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, text.as_bytes()).unwrap();
        scanner
            .read("log.gz", encoder.finish().unwrap().as_slice())
            .unwrap();
        assert_eq!(
            scanner.cache.len(),
            1,
            "one line, repeated with other times, is one entry"
        );
        let report = scanner.finish(None);
        for input in &report.inputs {
            assert_eq!((input.lines, input.long_lines), (300_001, 1), "{input:?}");
            assert_eq!(input.bytes, text.len() as u64);
        }
        assert!(report.inputs[1].gzip);
        let problem = &report.problems[0];
        assert_eq!(problem.count, 2 * expected.len() as u64);
        assert_eq!(
            (problem.first.line, problem.first.input.as_str()),
            (50_000, "log")
        );
        assert_eq!(
            (problem.last.line, problem.last.input.as_str()),
            (300_001, "log.gz")
        );
        assert_eq!(problem.first.time.as_deref(), Some("10:00:01:000"));
        assert_eq!(report.diagnosed_lines, 2 * expected.len() as u64);
    }
}
