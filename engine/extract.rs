//! Turns pasted text into facts: codes with their role and family, host names, known messages.
//!
//! Pastes are messy: dialog text in many languages, FreeRDP logs with timestamps and thread
//! ids, event-log exports, decimal codes from RDP managers. The extractor reads labels
//! ("Error code:", "Fehlercode:", "エラー コード:") from the catalog's label table, FreeRDP
//! symbols (`ERRCONNECT_*`, `ERRINFO_*`) from the catalog's symbols, and recognises the
//! catalog's message texts case- and whitespace-insensitively.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Serialize;

use crate::catalog::{Catalog, CatalogEntry, Code, Family, Knowledge, LabelKind};
use crate::literals::{fold_char, is_cjk};
use crate::search::ApproximatePhrases;

/// How many spans are kept per finding; the count of occurrences is kept in full.
const MAX_SPANS: usize = 8;

/// A byte range of the paste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    fn of(range: Range<usize>) -> Span {
        Span {
            start: range.start,
            end: range.end,
        }
    }

    /// The spanned text of `text`, empty when the span does not fit.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the two spans share at least one byte.
    pub fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// The paste as the user gave it, decoded.
#[derive(Debug, Clone, Default)]
pub struct Paste {
    /// The text, decoded from the input bytes.
    pub text: String,
    /// What decoding had to do (invalid UTF-8 replaced, UTF-16 decoded).
    pub notices: Vec<String>,
}

impl Paste {
    /// Decodes input bytes: a UTF-8 or UTF-16 byte-order mark is honoured (event-log exports
    /// are often UTF-16), UTF-16 without one is recognised by its NUL bytes; anything else is
    /// read as UTF-8, invalid sequences replaced.
    #[cfg(feature = "cli")]
    pub fn from_bytes(bytes: Vec<u8>) -> Paste {
        let mut notices = Vec::new();
        if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&bytes) {
            let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
            if encoding != encoding_rs::UTF_8 {
                notices.push(format!("input decoded from {}", encoding.name()));
            }
            if had_errors {
                notices.push(format!(
                    "input was not valid {}: invalid sequences were replaced by U+FFFD",
                    encoding.name()
                ));
            }
            return Paste {
                text: text.into_owned(),
                notices,
            };
        }
        // UTF-16 without a byte order mark (a file saved by some Windows tools, a pipe from
        // PowerShell): text with a NUL byte beside most ASCII characters.
        if let Some(encoding) = utf16_without_bom(&bytes) {
            let (text, _) = encoding.decode_without_bom_handling(&bytes);
            notices.push(format!(
                "input decoded from {} (no byte order mark)",
                encoding.name()
            ));
            return Paste {
                text: text.into_owned(),
                notices,
            };
        }
        // Valid UTF-8, the usual case, is taken over without a copy.
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let replaced = lossy.matches('\u{FFFD}').count();
                notices.push(format!(
                    "input was not valid UTF-8: {replaced} invalid byte sequence(s) were replaced by U+FFFD"
                ));
                lossy
            }
        };
        let control = text
            .chars()
            .filter(|c| c.is_control() && !c.is_whitespace())
            .count();
        if control > 0 {
            notices.push(format!(
                "input holds {control} control character(s); binary data was read as text"
            ));
        }
        Paste { text, notices }
    }

    /// A paste from text that is already decoded.
    pub fn from_text(text: impl Into<String>) -> Paste {
        Paste {
            text: text.into(),
            notices: Vec::new(),
        }
    }
}

/// The role a code plays in the paste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The main (disconnect) error code.
    Error,
    /// The extended error code.
    Extended,
    /// A Windows event ID.
    EventId,
    /// An HRESULT, NTSTATUS or SSPI status.
    Status,
    /// A code with no label and no telling context.
    Unknown,
}

impl Role {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Error => "error",
            Role::Extended => "extended",
            Role::EventId => "event_id",
            Role::Status => "status",
            Role::Unknown => "unknown",
        }
    }
}

/// A code found in the paste.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundCode {
    /// The code's value.
    pub code: Code,
    /// Its role in the paste.
    pub role: Role,
    /// Every family it can be read in, most likely first; empty when the catalog has none.
    pub readings: Vec<Family>,
    /// The catalog's name for the first reading.
    pub name: Option<String>,
    /// The code as written the first time (`0X00000904`, `2308`, `ERRINFO_...`).
    pub written: String,
    /// The label that introduced it, as written.
    pub label: Option<String>,
    /// Where it appears (the first few places).
    pub spans: Vec<Span>,
    /// How many times it appears.
    pub occurrences: usize,
    /// Other numbers the paste wrote for it, that the catalog knows as this code: FreeRDP's
    /// `0x0001000C` for ERRINFO 0xc, an RD Gateway event's `23002` for 0x800759DA.
    pub aliases: Vec<Code>,
}

impl FoundCode {
    /// The most likely family.
    pub fn family(&self) -> Option<Family> {
        self.readings.first().copied()
    }
}

/// A host name or address mentioned in the paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundHost {
    /// The host as written (with a port when one was given).
    pub host: String,
    /// Where it was first seen.
    pub span: Span,
}

/// A catalog message recognised in the paste.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundMessage {
    /// The catalog entry's key (`other:identity-warning`, `disconnect:0x904`).
    pub key: String,
    /// The entry's family.
    pub family: Family,
    /// The entry's code, for entries that have one.
    pub code: Option<Code>,
    /// The entry's name.
    pub name: String,
    /// The language of the message that matched.
    pub lang: String,
    /// The share of the message's text found, 0 to 1.
    pub coverage: f64,
    /// The matched parts of the paste.
    pub spans: Vec<Span>,
}

/// Everything recognised in one paste.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Extraction {
    /// Codes in order of first appearance.
    pub codes: Vec<FoundCode>,
    /// Host names and addresses in order of first appearance.
    pub hosts: Vec<FoundHost>,
    /// Catalog messages recognised.
    pub messages: Vec<FoundMessage>,
    /// The paste folded for phrase matching.
    #[serde(skip)]
    pub folded: Folded,
}

/// Text folded for phrase matching (lower case, one space for any whitespace run, straight
/// quotes, no space between CJK characters), with a map back to the original offsets.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// `(folded offset, original offset)` at every point where the offset difference changes.
    breaks: Vec<(usize, usize)>,
}

impl Folded {
    /// Folds `original`.
    pub fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut breaks: Vec<(usize, usize)> = vec![(0, 0)];
        let mut delta: isize = 0;
        let mut pending_space: Option<usize> = None;
        let mut previous: Option<char> = None;
        for (offset, c) in original.char_indices() {
            if c.is_whitespace() || is_invisible(c) {
                if pending_space.is_none() && !is_invisible(c) {
                    pending_space = Some(offset);
                }
                continue;
            }
            if let Some(space_at) = pending_space.take() {
                let joins_cjk = previous.is_some_and(is_cjk) && is_cjk(c);
                if !joins_cjk && !text.is_empty() {
                    push_mapped(&mut text, &mut breaks, &mut delta, ' ', space_at);
                }
            }
            if c.is_ascii() {
                push_mapped(
                    &mut text,
                    &mut breaks,
                    &mut delta,
                    c.to_ascii_lowercase(),
                    offset,
                );
            } else {
                for folded in fold_char(c) {
                    push_mapped(&mut text, &mut breaks, &mut delta, folded, offset);
                }
            }
            previous = Some(c);
        }
        Folded { text, breaks }
    }

    /// The original offset of a folded offset.
    pub fn original(&self, folded: usize) -> usize {
        let at = self.breaks.partition_point(|(f, _)| *f <= folded);
        let (f, o) = self.breaks[at.saturating_sub(1)];
        o + (folded - f)
    }

    /// The original span of a folded range, widened to character boundaries of `original`.
    pub fn original_span(&self, range: Range<usize>, original: &str) -> Span {
        let mut start = self.original(range.start).min(original.len());
        while !original.is_char_boundary(start) {
            start -= 1;
        }
        let last = self.original(range.end.saturating_sub(1).max(range.start));
        let mut end = (last + 1).min(original.len());
        while !original.is_char_boundary(end) {
            end += 1;
        }
        Span { start, end }
    }
}

fn push_mapped(
    text: &mut String,
    breaks: &mut Vec<(usize, usize)>,
    delta: &mut isize,
    c: char,
    original: usize,
) {
    let here = text.len();
    let new_delta = original as isize - here as isize;
    if new_delta != *delta {
        breaks.push((here, original));
        *delta = new_delta;
    }
    text.push(c);
}

/// Folds a phrase the way [`Folded`] folds a paste, without the offset map.
pub fn fold(text: &str) -> String {
    Folded::new(text).text
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// A regex compiled on first use: a run that never needs it never pays for it.
macro_rules! lazy_regex {
    ($(#[$meta:meta])* $vis:vis $name:ident = $pattern:expr) => {
        $(#[$meta])*
        $vis static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("a constant, valid regex"));
    };
}
pub(crate) use lazy_regex;

lazy_regex! {
    /// What may follow a code label: a closing quote (JSON's `"code": 519`), a separator, then
    /// the code (over folded text).
    AFTER_LABEL = r#"^["']? ?(?:[:=#>]|is\b|was\b)? ?[(\[]? ?(?P<code>0x[0-9a-f]+(?:_[0-9a-f]+)*|-[0-9]{9,10}|[0-9a-f]*[0-9][0-9a-f]*)(?-u:\b)"#
}
lazy_regex! {
    /// What may follow a host label: a colon, then the host.
    AFTER_HOST_LABEL = r"^\s*[:：]\s*(?P<host>[^\s,;，。、]+)"
}
lazy_regex! {
    /// FreeRDP and ActiveX symbols.
    SYMBOLS = r"(?-u:\b)(?:ERRCONNECT|ERRINFO|FREERDP_ERROR)_[A-Z0-9_]+|(?-u:\b)(?:disconnectReason|exDiscReason)[A-Za-z0-9]+"
}
lazy_regex! {
    /// Words shaped like the symbol of some catalog entry: `STATUS_LOGON_FAILURE`, `SEC_E_*`,
    /// `WSAETIMEDOUT`, `ConnectionFailedNoHealthyRdshAvailable`.
    SYMBOL_WORDS = r"(?-u:\b)[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?-u:\b)|(?-u:\b)WSA[A-Z]+(?-u:\b)|(?-u:\b)[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*){2,}(?-u:\b)"
}
lazy_regex! {
    /// The number FreeRDP prints after a symbol: `[0x0002000D]`, `(0x0000000C)`.
    SYMBOL_SUFFIX = r"^\s*[\[(]\s*(0[xX][0-9a-fA-F]+)\s*[\])]"
}
lazy_regex! {
    /// A decimal code in parentheses right after a name: `UnexpectedNetworkDisconnect (14)`.
    SYMBOL_DECIMAL = r"^ ?\((-?[0-9]{1,10})\)"
}
lazy_regex! {
    /// A placeholder in a catalog message: `{host}`, `{value}`.
    PLACEHOLDER = r"\{[a-z_]+\}"
}
lazy_regex! {
    /// Eight hex digits shaped like an NTSTATUS (`c000006d`) or an SSPI/HRESULT status
    /// (`80090302`), without `0x`.
    UNPREFIXED_STATUS = r"(?i-u)\b(?:c0[0-9a-f]{6}|800[0-9a-f]{5})\b"
}
lazy_regex! {
    /// Any 0x number.
    HEX = r"(?i-u)\b0x[0-9a-f]+(?:_[0-9a-f]+)*\b"
}
lazy_regex! {
    /// A number of three to five digits after the word "error" (in the languages RDP clients
    /// speak), up to three words later: mRemoteNG's `Error 519`, "error during connection 3847".
    ERROR_NUMBER = r"(?i)(?P<before>\b[a-z]+\s+)?(?P<word>\berror|\berreur|\bfehler|\berrore|\berro|\bошибк\w*|\bbłąd|\bhata\w*|\bfout|错误|錯誤|エラー|오류)(?P<gap>(?:\s+[^\s\d:=#]{1,14}){0,3})\s+\(?(?P<code>\d{3,5})\b"
}
/// The error words of [`ERROR_NUMBER`] and [`NUMBER_ERROR`], in any case: a fast test that
/// a paste can hold one.
/// The error words of the languages RDP clients speak, each in the cases a non-ASCII word is
/// written in (ASCII case is folded by the search).
pub(crate) const ERROR_WORDS: &[&str] = &[
    "erro",
    "erreur",
    "fehler",
    "ошибк",
    "Ошибк",
    "ОШИБК",
    "błąd",
    "BŁĄD",
    "hata",
    "fout",
    "错误",
    "錯誤",
    "エラー",
    "오류",
];
static ERROR_WORD: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(ERROR_WORDS)
        .expect("fixed patterns build")
});
lazy_regex! {
    /// A number of three to five digits just before an error word in Chinese, Japanese or
    /// Korean: `4360 错误`.
    NUMBER_ERROR = r"(?P<code>\b\d{3,5})\s*(?:错误|錯誤|エラー|오류)"
}
lazy_regex! {
    /// A dotted quad.
    pub(crate) IPV4 = r"(?-u)\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b"
}
lazy_regex! {
    /// The server of a FreeRDP command line: `/v:host[:port]`.
    FREERDP_HOST = r"(?i)(?:^|\s)[/-]v:(?P<host>[^\s]+)"
}
/// The top-level domains a host name in a paste is recognised by (with their dot).
const TOP_LEVEL_DOMAINS: &[&str] = &[
    ".com",
    ".net",
    ".org",
    ".local",
    ".lan",
    ".corp",
    ".internal",
    ".intra",
    ".home",
    ".io",
    ".cloud",
    ".de",
    ".fr",
    ".uk",
    ".jp",
    ".cn",
    ".ru",
    ".nl",
    ".es",
    ".it",
    ".pl",
    ".br",
    ".au",
    ".ca",
    ".ch",
    ".at",
    ".be",
    ".se",
    ".eu",
    ".us",
    ".in",
    ".kr",
];

lazy_regex! {
    /// A fully qualified name with one of the [`TOP_LEVEL_DOMAINS`].
    pub(crate) FQDN = r"(?i-u)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:com|net|org|local|lan|corp|internal|intra|home|io|cloud|de|fr|uk|jp|cn|ru|nl|es|it|pl|br|au|ca|ch|at|be|se|eu|us|in|kr)\b"
}

/// Finds codes, hosts and messages in pastes; built once per knowledge base.
pub struct Extractor<'k> {
    catalog: &'k Catalog,
    /// Every label, folded, matched leftmost-longest over the folded paste.
    labels: Option<AhoCorasick>,
    /// The long labels, found also with a typo.
    typo_labels: ApproximatePhrases,
    /// For each of `typo_labels`, its label pattern.
    typo_label_ids: Vec<usize>,
    /// The kind of each label pattern.
    label_kinds: Vec<LabelKind>,
    messages: Option<MessageIndex>,
}

/// The UTF-16 byte order of `bytes` when they look like UTF-16 text without a byte order mark:
/// an even length, and a NUL in the high byte of at least a third of the characters while
/// almost no low byte is NUL. UTF-8 text never holds NUL bytes, so it is never taken for it.
#[cfg(feature = "cli")]
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.len() < 4 || bytes.len() % 2 != 0 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let mostly = |zeros: usize| zeros * 3 >= pairs;
    let hardly = |zeros: usize| zeros * 20 <= pairs;
    if mostly(odd) && hardly(even) {
        Some(encoding_rs::UTF_16LE)
    } else if mostly(even) && hardly(odd) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The catalog's message texts, split into fragments. A message is recognised when at least
/// half of its text is found, or one long fragment that no other entry shares.
/// Fragments shorter than this (in characters) are recognised only when written exactly: a
/// short one with a typo is too likely another sentence ("can't connect to the" is not
/// "cannot connect to the").
const MIN_APPROXIMATE_FRAGMENT: usize = 24;

/// A fragment shared by this many entries identifies none of them.
const GENERIC_OWNERS: usize = 5;

/// A message is recognised only when more of it than a common phrase ("connection timed out",
/// 20 characters) was found.
const MIN_MESSAGE_CHARS: usize = 21;

/// Labels at least this long (in characters) are also found with a typo; shorter ones only
/// as written.
const MIN_TYPO_LABEL: usize = 14;

/// Clauses shorter than a fragment but at least this long ("account expired") tell apart
/// messages that share the rest of their text.
const MIN_SHORT_CLAUSE: usize = 8;

struct MessageIndex {
    phrases: ApproximatePhrases,
    /// For each pattern: entry index, message number, fragment length in chars.
    fragments: Vec<(usize, usize, usize)>,
    /// For each pattern: whether it alone identifies its entry (long, and in no other entry).
    telling: Vec<bool>,
    /// For each pattern: whether so many entries share it that it identifies none.
    generic: Vec<bool>,
    /// For each pattern: whether it is a short clause, which counts only next to the rest of
    /// its message.
    short: Vec<bool>,
    /// For each pattern: whether it names its message even when short (CJK text, or a
    /// program identifier such as `ssl_ctx_new`).
    distinctive: Vec<bool>,
    /// For each (entry, message): its language, the total length of its fragments that can
    /// identify it, and of those many entries share.
    messages: HashMap<(usize, usize), MessageLength>,
}

/// A catalog message's language and lengths, in characters.
struct MessageLength {
    lang: String,
    /// Fragments that can identify the message.
    telling: usize,
    /// Short clauses that only count next to the rest of the message ("Account expired.").
    short: usize,
    /// Fragments that many entries share ("Please contact your system administrator.").
    shared: usize,
    /// How many shared fragments it has.
    shared_count: usize,
}

impl<'k> Extractor<'k> {
    /// Compiles the label, symbol and message matchers of `knowledge`.
    pub fn new(knowledge: &'k Knowledge) -> Extractor<'k> {
        let mut patterns = Vec::new();
        let mut label_kinds = Vec::new();
        for label in &knowledge.labels.labels {
            let folded = fold(&label.text);
            if !folded.is_empty() && !patterns.contains(&folded) {
                patterns.push(folded);
                label_kinds.push(label.kind);
            }
        }
        // A contiguous NFA builds in a fraction of a DFA's time and is fast enough here.
        let labels = AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        // Long labels are also found with a typo ("Disconnet reason 4"); short ones only
        // exactly, which the automaton above already does.
        let typo_label_ids: Vec<usize> = (0..patterns.len())
            .filter(|&i| patterns[i].chars().count() >= MIN_TYPO_LABEL)
            .collect();
        let long: Vec<String> = typo_label_ids
            .iter()
            .map(|&i| patterns[i].clone())
            .collect();
        let typo_labels = ApproximatePhrases::with_min_fuzzy_chars(&long, MIN_TYPO_LABEL);
        Extractor {
            catalog: &knowledge.catalog,
            labels,
            typo_labels,
            typo_label_ids,
            label_kinds,
            messages: MessageIndex::build(&knowledge.catalog),
        }
    }

    /// Extracts everything recognisable from `text`.
    pub fn extract(&self, text: &str) -> Extraction {
        let folded = Folded::new(text);
        let mut found = Findings::default();
        let mut hosts = Vec::new();
        self.find_symbols(text, &mut found);
        let named = self.find_catalog_symbols(text, &mut found);
        self.find_labelled(text, &folded, &mut found, &mut hosts);
        self.find_bare_hex(text, &mut found);
        self.find_unprefixed_status(text, &mut found);
        self.find_error_numbers(text, &mut found);
        found.codes.sort_by_key(|f: &RawCode| f.span.start);
        apply_dialog_shape(text, &mut found.codes);
        let codes = self.merge(found);
        let mut messages = match &self.messages {
            Some(index) => index.find(&folded, text, self.catalog),
            None => Vec::new(),
        };
        for message in named {
            if !messages.iter().any(|m| m.key == message.key) {
                messages.push(message);
            }
        }
        let codes = self.read_in_context(codes, &messages);
        Extraction {
            codes,
            hosts: self.find_hosts(text, &folded.text, hosts),
            messages,
            folded,
        }
    }

    fn find_symbols(&self, text: &str, found: &mut Findings) {
        let has_symbols = [
            "ERRCONNECT_",
            "ERRINFO_",
            "FREERDP_ERROR_",
            "disconnectReason",
            "exDiscReason",
        ]
        .iter()
        .any(|s| text.contains(s));
        if !has_symbols {
            return;
        }
        for m in SYMBOLS.find_iter(text) {
            let symbol = m.as_str();
            let suffix = SYMBOL_SUFFIX.captures(&text[m.end()..]);
            let end = suffix
                .as_ref()
                .and_then(|c| c.get(0))
                .map_or(m.end(), |s| m.end() + s.end());
            let span = Span::of(m.start()..end);
            let hex = suffix
                .as_ref()
                .and_then(|c| c.get(1))
                .and_then(|h| Code::parse(h.as_str()));
            // FreeRDP 1.x and 2.x name connection errors FREERDP_ERROR_<X> for ERRCONNECT_<X>.
            let renamed = symbol
                .strip_prefix("FREERDP_ERROR_")
                .map(|rest| format!("ERRCONNECT_{rest}"));
            let symbol = renamed.as_deref().unwrap_or(symbol);
            let (code, family) = match self.catalog.by_symbol(symbol) {
                Some(entry) => match entry.code {
                    Some(code) => (code, Some(entry.family)),
                    None => continue,
                },
                None => match hex {
                    Some(code) if symbol.starts_with("ERRCONNECT_") => {
                        (code, Some(Family::FreerdpErrconnect))
                    }
                    Some(code) if symbol.starts_with("ERRINFO_") => {
                        (Code(code.0 & 0xFFFF), Some(Family::Errinfo))
                    }
                    _ => continue,
                },
            };
            found.take(span);
            found.push(RawCode {
                code,
                alias: hex.filter(|&h| h != code),
                role: Role::Error,
                family,
                written: text[span.start..span.end].to_string(),
                label: None,
                span,
            });
        }
    }

    /// Finds the symbols of any catalog entry (`STATUS_LOGON_FAILURE`, `SEC_E_LOGON_DENIED`,
    /// `WSAETIMEDOUT`, an Azure Virtual Desktop error name). A symbol of an entry with a code is
    /// that code, in the entry's family; one of an entry without a code is returned as a
    /// recognised message.
    fn find_catalog_symbols(&self, text: &str, found: &mut Findings) -> Vec<FoundMessage> {
        let mut named: Vec<FoundMessage> = Vec::new();
        for m in SYMBOL_WORDS.find_iter(text) {
            let span = Span::of(m.range());
            if found.overlaps(span) {
                continue;
            }
            let word = m.as_str();
            let camel = !word.contains('_') && !word.starts_with("WSA");
            let entry = match self.catalog.by_symbol(word) {
                Some(entry) => Some(entry),
                None if camel => self.catalog.by_camel_case(word),
                None => None,
            };
            let Some(entry) = entry else {
                // A name the catalog does not know, with its code: Azure Virtual Desktop's
                // diagnostics (`TransportClosedUnexpectedly (516)`).
                if looks_like_error_name(text, m.start(), word) {
                    named_decimal(text, m.end(), word, None, found);
                }
                continue;
            };
            let Some(code) = entry.code else {
                // Azure Virtual Desktop's diagnostics write a name, then its code in decimal:
                // `ConnectionFailedClientDisconnect (-2147467259)`.
                named_decimal(text, m.end(), word, Some(entry.family), found);
                match named.iter_mut().find(|n| n.key == entry.key()) {
                    Some(seen) if seen.spans.len() < MAX_SPANS => seen.spans.push(span),
                    Some(_) => {}
                    None => named.push(FoundMessage {
                        key: entry.key(),
                        family: entry.family,
                        code: None,
                        name: entry.name.clone(),
                        lang: "symbol".into(),
                        coverage: 1.0,
                        spans: vec![span],
                    }),
                }
                continue;
            };
            let role = match entry.family {
                Family::EventId => Role::EventId,
                Family::Ntstatus | Family::Sspi | Family::Hresult => Role::Status,
                _ => Role::Error,
            };
            found.take(span);
            found.push(RawCode {
                code,
                alias: None,
                role,
                family: Some(entry.family),
                written: m.as_str().to_string(),
                label: None,
                span,
            });
        }
        named
    }

    /// Finds labelled codes (and labelled hosts) by matching every label over the folded
    /// paste, then reading what follows each label.
    fn find_labelled(
        &self,
        text: &str,
        folded: &Folded,
        found: &mut Findings,
        hosts: &mut Vec<(String, usize)>,
    ) {
        let Some(labels) = &self.labels else {
            return;
        };
        let haystack = folded.text.as_str();
        let mut places: Vec<(usize, Range<usize>)> = labels
            .find_iter(haystack)
            .map(|m| (m.pattern().as_usize(), m.range()))
            .collect();
        let mut typos: Vec<(usize, Range<usize>)> = Vec::new();
        self.typo_labels.visit(haystack, |long, range| {
            typos.push((self.typo_label_ids[long], range));
        });
        for (label, range) in typos {
            let contains = |r: &Range<usize>| range.start <= r.start && r.end <= range.end;
            let overlaps = |r: &Range<usize>| r.start < range.end && range.start < r.end;
            // A longer label written with a typo wins over a shorter one inside it
            // ("Extendd error code" is not "error code"); otherwise what was found exactly stays.
            let clash = places
                .iter()
                .any(|(_, r)| overlaps(r) && !(contains(r) && r.len() < range.len()));
            if !clash {
                places.retain(|(_, r)| !contains(r));
                places.push((label, range));
            }
        }
        places.sort_by_key(|(label, range)| (range.start, *label));
        for (label, range) in places {
            let (start, end) = (range.start, range.end);
            let kind = self.label_kinds[label];
            let starts_word = haystack[start..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
            let glued = haystack[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            if starts_word && glued {
                continue;
            }
            if kind == LabelKind::RemoteComputer {
                let after = folded.original(end).min(text.len());
                if let Some(caps) = text.get(after..).and_then(|t| AFTER_HOST_LABEL.captures(t)) {
                    if let Some(host) = caps.name("host") {
                        hosts.push((host.as_str().to_string(), after + host.start()));
                    }
                }
                continue;
            }
            let Some(caps) = AFTER_LABEL.captures(&haystack[end..]) else {
                continue;
            };
            let Some(code_match) = caps.name("code") else {
                continue;
            };
            let code_range = end + code_match.start()..end + code_match.end();
            let code_span = folded.original_span(code_range, text);
            let whole = folded.original_span(start..end + code_match.end(), text);
            if found.overlaps(code_span) {
                continue;
            }
            let hex_prefixed = code_match.as_str().starts_with("0x");
            if kind == LabelKind::NotACode && hex_prefixed {
                // A 0x value keeps its meaning whatever the words before it.
                continue;
            }
            found.take(code_span);
            let role = match kind {
                LabelKind::ErrorCode => Role::Error,
                LabelKind::ExtendedErrorCode => Role::Extended,
                LabelKind::EventId => Role::EventId,
                LabelKind::StatusCode => Role::Status,
                LabelKind::RemoteComputer | LabelKind::NotACode => continue,
            };
            let written = code_span.slice(text);
            let Some(code) = self.read_labelled_number(written, role) else {
                continue;
            };
            let role = if role == Role::Error && is_status(code) && !self.is_client_code(code) {
                Role::Status
            } else {
                role
            };
            found.push(RawCode {
                code,
                alias: None,
                role,
                family: (role == Role::EventId).then_some(Family::EventId),
                written: written.to_string(),
                label: Some(
                    text[whole.start..code_span.start]
                        .trim_end_matches(|c: char| !c.is_alphanumeric())
                        .to_string(),
                ),
                span: whole,
            });
        }
    }

    /// True when a client family (not a status family) defines `code`.
    fn is_client_code(&self, code: Code) -> bool {
        [Family::DisconnectReason, Family::Gateway, Family::AvdClient]
            .iter()
            .any(|&family| self.catalog.defines(family, code))
    }

    /// Reads a labelled number: `0x` is hex; digits alone are decimal for event IDs, and for
    /// error codes whichever reading the catalog knows (decimal first: `2308` is `0x904`,
    /// `904` is `0x904`); hex letters without `0x` are hex.
    fn read_labelled_number(&self, written: &str, role: Role) -> Option<Code> {
        if written.starts_with("0x") || written.starts_with("0X") {
            return Code::parse(written);
        }
        if written.starts_with('-') {
            // A negative HRESULT or NTSTATUS, as .NET and the Windows App log it.
            return signed_decimal(written).map(Code).filter(|&c| is_status(c));
        }
        let all_digits = written.bytes().all(|b| b.is_ascii_digit());
        if !all_digits {
            return Code::parse_hex(written);
        }
        let decimal = written.parse::<u32>().ok().map(Code);
        if role == Role::EventId {
            return decimal;
        }
        let known = |code: Code| {
            families_for(role)
                .iter()
                .any(|&family| self.catalog.defines(family, code))
        };
        let hex = Code::parse_hex(written);
        match (decimal, hex) {
            (Some(d), _) if known(d) => Some(d),
            (_, Some(h)) if known(h) => Some(h),
            (d, _) => d,
        }
    }

    fn find_bare_hex(&self, text: &str, found: &mut Findings) {
        if !text.contains("0x") && !text.contains("0X") {
            return;
        }
        for m in HEX.find_iter(text) {
            let span = Span::of(m.range());
            if found.overlaps(span) {
                continue;
            }
            let Some(code) = Code::parse(m.as_str()) else {
                continue;
            };
            let role = if is_status(code) {
                Role::Status
            } else {
                Role::Unknown
            };
            // An unlabelled small number is only a code when the catalog knows it.
            if role == Role::Unknown && self.catalog.readings(code).is_empty() {
                continue;
            }
            found.take(span);
            found.push(RawCode {
                code,
                alias: None,
                role,
                family: None,
                written: m.as_str().to_string(),
                label: preceding_label(text, span.start),
                span,
            });
        }
    }

    /// Finds NTSTATUS and SSPI values written without `0x` (`ErrorCode = c0000224`,
    /// `80090302`): eight hex digits the catalog defines as a status.
    fn find_unprefixed_status(&self, text: &str, found: &mut Findings) {
        for m in UNPREFIXED_STATUS.find_iter(text) {
            let span = Span::of(m.range());
            if found.overlaps(span) {
                continue;
            }
            let Some(code) = Code::parse_hex(m.as_str()) else {
                continue;
            };
            let known = [Family::Ntstatus, Family::Sspi, Family::Hresult]
                .iter()
                .any(|&family| self.catalog.defines(family, code));
            if !known {
                continue;
            }
            found.take(span);
            found.push(RawCode {
                code,
                alias: None,
                role: Role::Status,
                family: None,
                written: m.as_str().to_string(),
                label: preceding_label(text, span.start),
                span,
            });
        }
    }

    /// Finds the decimal codes clients print after (or, in CJK, before) the word "error":
    /// mRemoteNG's `Error 519`, 1Remote's `4360 错误`, "an error during connection 3847". A number
    /// right after the word is a client error code even when the catalog does not know it; one
    /// a few words later, or before the word, only when the catalog knows it in decimal. The
    /// errno values FreeRDP and OpenSSL print (`system error 104`) and HTTP statuses are not codes.
    fn find_error_numbers(&self, text: &str, found: &mut Findings) {
        const NOT_CODES: &[&str] = &[
            "system", "socket", "ssl", "tls", "errno", "http", "os", "io", "win32", "posix",
            "openssl", "bio", "line", "parse", "syntax",
        ];
        if !ERROR_WORD.is_match(text) {
            return;
        }
        let known = |code: Code| {
            [
                Family::DisconnectReason,
                Family::Gateway,
                Family::AvdClient,
                Family::Winsock,
            ]
            .iter()
            .any(|&family| self.catalog.defines(family, code))
                || self.catalog.by_numeric_alias(code).is_some()
        };
        let mut candidates: Vec<(Range<usize>, Range<usize>, bool)> = Vec::new();
        for caps in ERROR_NUMBER.captures_iter(text) {
            let (Some(word), Some(code)) = (caps.name("word"), caps.name("code")) else {
                continue;
            };
            let before = caps
                .name("before")
                .map(|b| b.as_str().trim().to_ascii_lowercase());
            if before.is_some_and(|b| NOT_CODES.contains(&b.as_str())) {
                continue;
            }
            let gap = caps.name("gap").map_or("", |g| g.as_str());
            let gap_words: Vec<String> = gap.split_whitespace().map(str::to_lowercase).collect();
            if gap_words
                .iter()
                .any(|w| NOT_CODES.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
            {
                continue;
            }
            candidates.push((word.start()..code.end(), code.range(), gap_words.is_empty()));
        }
        for caps in NUMBER_ERROR.captures_iter(text) {
            if let (Some(whole), Some(code)) = (caps.get(0), caps.name("code")) {
                candidates.push((whole.range(), code.range(), false));
            }
        }
        for (whole, code_range, adjacent) in candidates {
            let after = &text[code_range.end..];
            // A time, a version, a path or a unit, not a code.
            let continues = after.starts_with(['.', ':', '/', '-', ',', '%'])
                && after[1..].starts_with(|c: char| c.is_ascii_digit());
            if continues {
                continue;
            }
            let span = Span::of(code_range.clone());
            if found.overlaps(span) {
                continue;
            }
            let written = &text[code_range];
            let Ok(value) = written.parse::<u32>() else {
                continue;
            };
            let code = Code(value);
            let adjacent_unknown = adjacent && written.len() <= 4;
            if !known(code) && !adjacent_unknown {
                continue;
            }
            found.take(span);
            found.push(RawCode {
                code,
                alias: None,
                role: Role::Error,
                family: None,
                written: written.to_string(),
                label: Some(text[whole.start..span.start].trim().to_string()),
                span: Span::of(whole.start..span.end),
            });
        }
    }

    /// Puts first, among a code's readings, the families the rest of the paste speaks: Guacamole's
    /// `"code": 519` next to a guacd message is its status 0x207, not the macOS client's 0x207.
    fn read_in_context(
        &self,
        mut codes: Vec<FoundCode>,
        messages: &[FoundMessage],
    ) -> Vec<FoundCode> {
        let mut context: Vec<Family> = messages.iter().map(|m| m.family).collect();
        context.extend(
            codes
                .iter()
                .filter(|c| c.readings.len() == 1)
                .filter_map(FoundCode::family),
        );
        for code in codes.iter_mut().filter(|c| c.readings.len() > 1) {
            let first = code.readings[0];
            code.readings
                .sort_by_key(|family| !context.contains(family));
            if code.readings[0] != first {
                code.name = self
                    .catalog
                    .get(code.readings[0], code.code)
                    .map(|entry| entry.name.clone());
            }
        }
        codes
    }

    /// Resolves families and names, and merges repeated findings.
    fn merge(&self, found: Findings) -> Vec<FoundCode> {
        let mut merged: Vec<FoundCode> = Vec::new();
        let mut index: HashMap<(Code, Role, Option<Family>), usize> = HashMap::new();
        for raw in found.codes {
            let (code, readings) = self.readings(raw.code, raw.role, raw.family);
            let alias = raw.alias.or((code != raw.code).then_some(raw.code));
            let key = (code, raw.role, readings.first().copied());
            if let Some(&i) = index.get(&key) {
                let existing = &mut merged[i];
                existing.occurrences += 1;
                if let Some(alias) = alias.filter(|a| !existing.aliases.contains(a)) {
                    existing.aliases.push(alias);
                }
                if existing.spans.len() < MAX_SPANS {
                    existing.spans.push(raw.span);
                }
                continue;
            }
            let name = readings
                .first()
                .and_then(|&family| self.catalog.get(family, code))
                .map(|entry| entry.name.clone());
            index.insert(key, merged.len());
            merged.push(FoundCode {
                code,
                role: raw.role,
                readings,
                name,
                written: raw.written,
                label: raw.label,
                spans: vec![raw.span],
                occurrences: 1,
                aliases: alias.into_iter().collect(),
            });
        }
        for ((code, role, family), count) in found.repeats {
            let (code, readings) = self.readings(code, role, family);
            let same = merged
                .iter_mut()
                .find(|f| f.code == code && f.readings.first() == readings.first());
            if let Some(found) = same {
                found.occurrences += count;
            }
        }
        merged
    }

    /// The families `code` can be read in for its role. A number the catalog knows only as
    /// another spelling (FreeRDP prints ERRINFO 0xc as `0x0001000C`) becomes that entry's code.
    fn readings(&self, code: Code, role: Role, family: Option<Family>) -> (Code, Vec<Family>) {
        if let Some(family) = family {
            return (code, vec![family]);
        }
        let readings: Vec<Family> = families_for(role)
            .iter()
            .copied()
            .filter(|&family| self.catalog.defines(family, code))
            .collect();
        if readings.is_empty() && matches!(role, Role::Error | Role::Unknown) {
            if let Some(entry) = self.catalog.by_numeric_alias(code) {
                if let Some(entry_code) = entry.code {
                    return (entry_code, vec![entry.family]);
                }
            }
        }
        (code, readings)
    }

    fn find_hosts(
        &self,
        text: &str,
        folded: &str,
        labelled: Vec<(String, usize)>,
    ) -> Vec<FoundHost> {
        let mut hosts: Vec<FoundHost> = Vec::new();
        let mut add_host = |host: &str, start: usize| {
            let host = host.trim_matches(|c: char| ".,;:)]}>\"'`".contains(c) || c == '。');
            // A label followed by a sentence (`服务器：1)未启用...`) names no host.
            let name_shaped = host.chars().all(|c| {
                (c.is_alphanumeric() && !('\u{3000}'..='\u{d7af}').contains(&c))
                    || ".-_:[]%".contains(c)
            });
            let placeholder = host.is_empty()
                || !name_shaped
                || host.starts_with(['[', '<', '{', '('])
                || host.eq_ignore_ascii_case("ip")
                || host.eq_ignore_ascii_case("x");
            if placeholder || hosts.iter().any(|h| h.host.eq_ignore_ascii_case(host)) {
                return;
            }
            hosts.push(FoundHost {
                host: host.to_string(),
                span: Span::of(start..start + host.len()),
            });
        };
        for (host, start) in &labelled {
            add_host(host, *start);
        }
        // An address an event or log names as the client's is not the computer connected to.
        let add = |host: &str, start: usize, add: &mut dyn FnMut(&str, usize)| {
            if !names_the_client(text, start) {
                add(host, start);
            }
        };
        let freerdp_hosts = text
            .contains("v:")
            .then(|| FREERDP_HOST.captures_iter(text))
            .into_iter()
            .flatten();
        for caps in freerdp_hosts {
            if let Some(m) = caps.name("host") {
                add_host(m.as_str(), m.start());
            }
        }
        let dotted_digits = text
            .as_bytes()
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit());
        let addresses = dotted_digits
            .then(|| IPV4.find_iter(text))
            .into_iter()
            .flatten();
        for m in addresses {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let in_dotted_run = before == Some('.')
                || after == Some('.') && {
                    text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
                };
            let octets_ok = m
                .as_str()
                .split('.')
                .all(|o| o.parse::<u16>().is_ok_and(|v| v <= 255));
            if octets_ok && !in_dotted_run {
                add(m.as_str(), m.start(), &mut add_host);
            }
        }
        // The folded paste is already lower case: no second copy of a long log.
        let has_domain = TOP_LEVEL_DOMAINS.iter().any(|tld| {
            folded.match_indices(tld).any(|(at, _)| {
                folded[at + tld.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_ascii_alphanumeric())
            })
        });
        let names = has_domain
            .then(|| FQDN.find_iter(text))
            .into_iter()
            .flatten();
        for m in names {
            let before = &text[..m.start()];
            let in_url_or_mail =
                before.ends_with("//") || before.ends_with('@') || before.ends_with('.');
            if !in_url_or_mail && m.as_str().contains('.') {
                add(m.as_str(), m.start(), &mut add_host);
            }
        }
        hosts.sort_by_key(|h| h.span.start);
        hosts
    }
}

/// Labels, in the languages of event-log exports, after which an address is the client's
/// (Security 4625's "Source Network Address", RD Gateway's "on client computer").
const CLIENT_LABELS: &[&str] = &[
    "client computer",
    "client address",
    "client ip",
    "client machine",
    "client name",
    "source network address",
    "source address",
    "source ip",
    "quellnetzwerkadresse",
    "adresse du réseau source",
    "dirección de red de origen",
    "indirizzo di rete di origine",
    "endereço de rede de origem",
    "сетевой адрес источника",
    "源网络地址",
    "ソース ネットワーク アドレス",
];

/// Whether the address at `start` follows, on its line, a label that names the client's.
fn names_the_client(text: &str, start: usize) -> bool {
    let line = &text[text[..start].rfind('\n').map_or(0, |i| i + 1)..start];
    let mut from = line.len().saturating_sub(48);
    while !line.is_char_boundary(from) {
        from += 1;
    }
    let before = line[from..].to_lowercase();
    CLIENT_LABELS.iter().any(|label| before.contains(label))
}

/// The families a code can be read in, given its role, most likely first.
fn families_for(role: Role) -> &'static [Family] {
    match role {
        Role::Error => &[
            Family::DisconnectReason,
            Family::Gateway,
            Family::AvdClient,
            Family::Other,
            Family::FreerdpErrconnect,
            Family::Winsock,
            Family::Guacamole,
        ],
        Role::Extended => &[Family::ExtendedReason, Family::Errinfo],
        Role::EventId => &[Family::EventId],
        Role::Status => &[
            Family::Other,
            Family::AvdClient,
            Family::Gateway,
            Family::Ntstatus,
            Family::Sspi,
            Family::Hresult,
        ],
        Role::Unknown => &[
            Family::DisconnectReason,
            Family::Gateway,
            Family::AvdClient,
            Family::FreerdpErrconnect,
            Family::ExtendedReason,
            Family::Errinfo,
            Family::Other,
            Family::Ntstatus,
            Family::Sspi,
            Family::Hresult,
        ],
    }
}

/// Reads the decimal code in parentheses right after the name `word` (which ends at `end`):
/// `ConnectionFailedClientDisconnect (-2147467259)`. An HRESULT is read as one; another number
/// stays in `family`, the name's, when the catalog knows the name.
fn named_decimal(text: &str, end: usize, word: &str, family: Option<Family>, found: &mut Findings) {
    let Some(number) = SYMBOL_DECIMAL.captures(&text[end..]) else {
        return;
    };
    let digits = number.get(1).expect("group 1 always takes part");
    let written = digits.as_str();
    let Some(value) = signed_decimal(written) else {
        return;
    };
    let at = Span::of(end + digits.start()..end + digits.end());
    if found.overlaps(at) {
        return;
    }
    let status = is_status(Code(value));
    found.take(at);
    found.push(RawCode {
        code: Code(value),
        alias: None,
        role: if status { Role::Status } else { Role::Error },
        family: family.filter(|_| !status),
        written: written.to_string(),
        label: Some(word.to_string()),
        span: at,
    });
}

/// Whether `word`, at `start`, reads as the name of an error even though the catalog does not
/// know it: a long CamelCase name (`SocketConnectionTimedOut`) or an upper-case symbol
/// (`SYSTEM_EVENT_ERR_SHUTDOWN`), standing alone: not the end of a dotted, hyphenated or path
/// name, where a number in parentheses is an event ID or a process ID
/// (`TerminalServices-LocalSessionManager (21)`).
fn looks_like_error_name(text: &str, start: usize, word: &str) -> bool {
    let alone = !text[..start].ends_with(['-', '.', '/', '\\', ':', '_']);
    let camel = !word.contains('_') && word.len() >= 16;
    let upper = word.contains('_')
        && word.len() >= 10
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    alone && (camel || upper)
}

/// A decimal as .NET and Windows logs write 32-bit codes: `3076`, or `-2147467259` for
/// 0x80004005.
fn signed_decimal(written: &str) -> Option<u32> {
    match written.strip_prefix('-') {
        Some(digits) => digits.parse::<u32>().ok().map(u32::wrapping_neg),
        None => written.parse::<u32>().ok(),
    }
}

/// HRESULT failures (0x8xxxxxxx) and NTSTATUS errors (0xCxxxxxxx).
fn is_status(code: Code) -> bool {
    code.0 >= 0x8000_0000
}

struct RawCode {
    code: Code,
    /// The number as written, when the code is another spelling of it.
    alias: Option<Code>,
    role: Role,
    family: Option<Family>,
    written: String,
    label: Option<String>,
    span: Span,
}

/// How many raw findings of one code and role are kept; further repeats are only counted,
/// so a long log repeating one code stays cheap.
const MAX_RAW_REPEATS: usize = 64;

/// Codes found so far, and the parts of the paste already read as a code.
#[derive(Default)]
struct Findings {
    codes: Vec<RawCode>,
    /// Start -> end of every span read as a code; spans never overlap.
    taken: BTreeMap<usize, usize>,
    /// Raw findings per (code, role, family), and the repeats beyond [`MAX_RAW_REPEATS`].
    seen: HashMap<(Code, Role, Option<Family>), usize>,
    repeats: HashMap<(Code, Role, Option<Family>), usize>,
}

impl Findings {
    fn overlaps(&self, span: Span) -> bool {
        self.taken
            .range(..span.end)
            .next_back()
            .is_some_and(|(_, &end)| end > span.start)
    }

    fn take(&mut self, span: Span) {
        self.taken.insert(span.start, span.end);
    }

    fn push(&mut self, raw: RawCode) {
        let key = (raw.code, raw.role, raw.family);
        let seen = self.seen.entry(key).or_default();
        *seen += 1;
        if *seen <= MAX_RAW_REPEATS {
            self.codes.push(raw);
        } else {
            *self.repeats.entry(key).or_default() += 1;
        }
    }
}

/// The words just before a code, up to a colon, as a label in a language the table lacks.
fn preceding_label(text: &str, start: usize) -> Option<String> {
    let before = text[..start].trim_end();
    let before = before.strip_suffix([':', '：'])?.trim_end();
    let line_start = before.rfind(['\n', '.', '。', ')', ']']).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let label = before[line_start..].trim();
    let words = label.split_whitespace().count();
    let plausible = !label.is_empty()
        && label.chars().count() <= 40
        && words <= 5
        && label
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-');
    plausible.then(|| label.to_string())
}

/// The dialog's main code followed by its extended code, in any language: a second code
/// whose label is longer and contains the first label's last word
/// (`Foutcode: 0x904 Uitgebreide foutcode: 0x7`), or an unlabelled code right after a labelled
/// one (`error code 0x904 / 0x7`).
fn apply_dialog_shape(text: &str, found: &mut [RawCode]) {
    for i in 1..found.len() {
        let (head, tail) = found.split_at_mut(i);
        let first = &mut head[i - 1];
        let second = &mut tail[0];
        let gap = text.get(first.span.end..second.span.start).unwrap_or("");
        let near = gap.len() <= 200;
        let roles_fit = matches!(first.role, Role::Error | Role::Unknown)
            && matches!(second.role, Role::Error | Role::Unknown | Role::Extended);
        if !near || !roles_fit {
            continue;
        }
        if first.role == Role::Unknown && second.role == Role::Extended && first.label.is_some() {
            // "Error: 0x3 accompanied by Extended Error: 0x5": the code before a labelled
            // extended code is the main one.
            first.role = Role::Error;
            continue;
        }
        if second.role == Role::Extended {
            continue;
        }
        let extends = match (&first.label, &second.label) {
            (Some(first_label), Some(second_label)) => {
                let first_folded = fold(first_label);
                let second_folded = fold(second_label);
                let last_word = first_folded
                    .split_whitespace()
                    .last()
                    .unwrap_or(&first_folded)
                    .to_string();
                second_folded.len() > first_folded.len()
                    && (second_folded.contains(&first_folded) || second_folded.contains(&last_word))
            }
            (Some(_), None) => {
                first.role == Role::Error
                    && second.role == Role::Unknown
                    && !gap.trim().is_empty()
                    && gap.trim().chars().all(|c| c == '/' || c == ',')
            }
            _ => false,
        };
        if extends {
            second.role = Role::Extended;
            if first.role == Role::Unknown {
                first.role = Role::Error;
            }
        }
    }
}

impl MessageIndex {
    fn build(catalog: &Catalog) -> Option<MessageIndex> {
        let mut patterns = Vec::new();
        let mut fragments = Vec::new();
        let mut shorts = Vec::new();
        let mut languages = HashMap::new();
        for (entry_index, entry) in catalog.entries().iter().enumerate() {
            let mut number = 0;
            for (lang, texts) in &entry.messages {
                for text in texts {
                    for (fragment, short) in fragments_and_short_clauses(text) {
                        let length = fragment.chars().count();
                        patterns.push(fragment);
                        fragments.push((entry_index, number, length));
                        shorts.push(short);
                    }
                    languages.insert((entry_index, number), lang.clone());
                    number += 1;
                }
            }
        }
        if patterns.is_empty() {
            return None;
        }
        // A long fragment that belongs to one entry only identifies it on its own; one that
        // many entries share ("Please contact your system administrator.") identifies none.
        let mut owners: HashMap<&str, Vec<usize>> = HashMap::new();
        for (pattern, &(entry, ..)) in patterns.iter().zip(&fragments) {
            let entries = owners.entry(pattern.as_str()).or_default();
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        let generic: Vec<bool> = patterns
            .iter()
            .map(|pattern| owners[pattern.as_str()].len() >= GENERIC_OWNERS)
            .collect();
        let telling = patterns
            .iter()
            .map(|pattern| {
                let length = pattern.chars().count();
                let long = if pattern.chars().any(is_cjk) {
                    length >= 12
                } else {
                    length >= 40
                };
                long && owners[pattern.as_str()].len() == 1
            })
            .collect();
        let short: Vec<bool> = shorts
            .iter()
            .zip(&generic)
            .map(|(&short, &generic)| short && !generic)
            .collect();
        let mut messages: HashMap<(usize, usize), MessageLength> = HashMap::new();
        for (i, &(entry, number, length)) in fragments.iter().enumerate() {
            let lengths = messages
                .entry((entry, number))
                .or_insert_with(|| MessageLength {
                    lang: languages[&(entry, number)].clone(),
                    telling: 0,
                    short: 0,
                    shared: 0,
                    shared_count: 0,
                });
            if generic[i] {
                lengths.shared += length;
                lengths.shared_count += 1;
            } else if short[i] {
                lengths.short += length;
            } else {
                lengths.telling += length;
            }
        }
        let distinctive = patterns
            .iter()
            .map(|p| p.chars().any(is_cjk) || names_identifier(p))
            .collect();
        Some(MessageIndex {
            phrases: ApproximatePhrases::with_min_fuzzy_chars(&patterns, MIN_APPROXIMATE_FRAGMENT),
            fragments,
            telling,
            generic,
            short,
            distinctive,
            messages,
        })
    }

    fn find(&self, folded: &Folded, original: &str, catalog: &Catalog) -> Vec<FoundMessage> {
        // (entry, message) -> (matched pattern ids, spans), for the fragments that can identify
        // a message and for those many entries share.
        let mut hits: HashMap<(usize, usize), (Vec<usize>, Vec<Span>)> = HashMap::new();
        let mut shared_hits: HashMap<(usize, usize), (Vec<usize>, Vec<Span>)> = HashMap::new();
        self.phrases.visit(&folded.text, |pattern, range| {
            let (entry, number, _) = self.fragments[pattern];
            let slot = if self.generic[pattern] || self.short[pattern] {
                shared_hits.entry((entry, number)).or_default()
            } else {
                hits.entry((entry, number)).or_default()
            };
            if !slot.0.contains(&pattern) {
                slot.0.push(pattern);
                slot.1.push(folded.original_span(range, original));
            }
        });
        // A message made only of shared sentences ("This computer can't connect to the remote
        // computer. Try connecting again.") is named by all of them together.
        // A short clause names its message together with the shared sentences around it.
        for (key, (found, _)) in &shared_hits {
            let Some(lengths) = self.messages.get(key) else {
                continue;
            };
            let complete = lengths.telling == 0
                && lengths.short == 0
                && lengths.shared_count >= 2
                && found.iter().filter(|&&p| self.generic[p]).count() == lengths.shared_count;
            let short = found.iter().any(|&p| self.short[p]);
            if complete || short {
                hits.entry(*key).or_default();
            }
        }
        // In catalog order, so that of two messages of one entry found alike, the first wins
        // on every run.
        let mut hits: Vec<_> = hits.into_iter().collect();
        hits.sort_by_key(|(key, _)| *key);
        let mut best: HashMap<usize, FoundMessage> = HashMap::new();
        for ((entry_index, number), (patterns, mut spans)) in hits {
            let Some(lengths) = self.messages.get(&(entry_index, number)) else {
                continue;
            };
            let length = |patterns: &[usize]| -> usize {
                patterns.iter().map(|&p| self.fragments[p].2).sum()
            };
            let matched = length(&patterns);
            // Shared sentences and short clauses count once something names the message, or
            // together: Remmina's "Could not access the RDP server" plus "Account expired.".
            let (shared, shared_spans) = shared_hits
                .remove(&(entry_index, number))
                .unwrap_or_default();
            let matched_all = matched + length(&shared);
            // A message known only by a few words ("Connection timed out") is too common a
            // sentence to name its entry, unless the words are a program's own identifiers
            // ("SSL_CTX_new failed", "pam_acct_mgmt failed"), which prose never contains.
            let distinctive = patterns.iter().any(|&p| self.distinctive[p]);
            if matched_all < MIN_MESSAGE_CHARS && !distinctive {
                continue;
            }
            let own = if lengths.telling == 0 {
                0.0
            } else {
                matched as f64 / lengths.telling as f64
            };
            let whole =
                matched_all as f64 / (lengths.telling + lengths.short + lengths.shared) as f64;
            let coverage = own.max(whole);
            let telling = patterns.iter().any(|&p| self.telling[p]);
            if coverage < 0.5 && !telling {
                continue;
            }
            // The words that name the message show where it is; shared ones only when nothing
            // else named it.
            if patterns.is_empty() {
                spans = shared_spans;
            }
            let lang = &lengths.lang;
            let entry: &CatalogEntry = &catalog.entries()[entry_index];
            let candidate = FoundMessage {
                key: entry.key(),
                family: entry.family,
                code: entry.code,
                name: entry.name.clone(),
                lang: lang.clone(),
                coverage: (coverage * 100.0).round() / 100.0,
                spans: {
                    let mut spans = spans;
                    spans.sort();
                    spans.truncate(MAX_SPANS);
                    spans
                },
            };
            let better = best
                .get(&entry_index)
                .is_none_or(|b| candidate.coverage > b.coverage);
            if better {
                best.insert(entry_index, candidate);
            }
        }
        let mut found: Vec<FoundMessage> = best.into_values().collect();
        found.sort_by(|a, b| {
            let a_start = a.spans.first().map_or(0, |s| s.start);
            let b_start = b.spans.first().map_or(0, |s| s.start);
            a_start.cmp(&b_start).then_with(|| a.key.cmp(&b.key))
        });
        found
    }
}

/// Splits a message into the fragments that identify it: sentences and the parts between
/// placeholders (`{host}`, `{value}`: any `{word}`), folded, long enough not to occur by chance.
#[cfg(test)]
pub(crate) fn message_fragments(message: &str) -> Vec<String> {
    fragments_and_short_clauses(message)
        .into_iter()
        .filter_map(|(fragment, short)| (!short).then_some(fragment))
        .collect()
}

/// Like [`message_fragments`], with the clauses too short to be fragments but long enough to
/// tell two messages that share the rest apart ("Account expired."), marked `true`.
fn fragments_and_short_clauses(message: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for part in PLACEHOLDER.split(message) {
        let folded = fold(part);
        // Sentences, clauses after a colon, and items of "1) ... 2) ..." lists.
        let clauses = folded
            .split_inclusive(['.', '。', '!', '?', '\n', ':', ';', '；'])
            .flat_map(split_list_items);
        for sentence in clauses {
            let sentence = sentence
                .trim()
                .trim_matches(|c: char| "\"'.。:;；".contains(c))
                .trim();
            let length = sentence.chars().count();
            let cjk = sentence.chars().any(is_cjk);
            let long_enough = if cjk { length >= 5 } else { length >= 16 };
            let short = !cjk && (MIN_SHORT_CLAUSE..16).contains(&length);
            if (long_enough || short) && !out.iter().any(|(s, _)| s == sentence) {
                out.push((sentence.to_string(), short));
            }
        }
    }
    out
}

/// Whether `fragment` holds a program identifier: a word of letters or digits joined by
/// underscores (`ssl_ctx_new`, `nla_recv()`), as log lines name functions and symbols.
fn names_identifier(fragment: &str) -> bool {
    fragment
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| {
            let parts: Vec<&str> = word.split('_').collect();
            parts.len() >= 2 && parts.iter().all(|part| !part.is_empty()) && word.len() >= 8
        })
}

/// Splits "reasons 1) a 2) b" into "reasons", "a", "b".
fn split_list_items(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = rest
        .char_indices()
        .find(|&(i, c)| {
            c.is_ascii_digit()
                && rest[i + 1..].starts_with(") ")
                && (i == 0 || rest[..i].ends_with(' '))
        })
        .map(|(i, _)| i)
    {
        parts.push(&rest[..at]);
        rest = &rest[at + 2..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_maps_back_to_the_original() {
        let original = "Error   code:\r\n 0x904 “quoted” エラー コード";
        let folded = Folded::new(original);
        assert_eq!(folded.text, "error code: 0x904 \"quoted\" エラーコード");
        let at = folded.text.find("0x904").unwrap();
        let span = folded.original_span(at..at + 5, original);
        assert_eq!(span.slice(original), "0x904");
        let at = folded.text.find("\"quoted\"").unwrap();
        let span = folded.original_span(at..at + 8, original);
        assert_eq!(span.slice(original), "“quoted”");
        let at = folded.text.find("エラーコード").unwrap();
        let span = folded.original_span(at..folded.text.len(), original);
        assert_eq!(span.slice(original), "エラー コード");
    }

    #[test]
    fn message_fragments_split_at_placeholders_and_sentences() {
        let fragments = message_fragments(
            "Remote Desktop can't find the computer \"{host}\". This might mean that \"{host}\" does not belong to the specified network.",
        );
        assert_eq!(
            fragments,
            vec![
                "remote desktop can't find the computer",
                "this might mean that",
                "does not belong to the specified network"
            ]
        );
    }

    #[test]
    fn message_fragments_split_lists_and_clauses() {
        let fragments = message_fragments(
            "Remote Desktop can't connect to the remote computer for one of these reasons:  1) Remote access to the server is not enabled 2) The remote computer is turned off",
        );
        assert_eq!(
            fragments,
            vec![
                "remote desktop can't connect to the remote computer for one of these reasons",
                "remote access to the server is not enabled",
                "the remote computer is turned off"
            ]
        );
    }

    #[test]
    fn preceding_label_takes_the_words_before_a_colon() {
        let text = "Foutcode: 0x904";
        assert_eq!(preceding_label(text, 10).as_deref(), Some("Foutcode"));
        assert_eq!(preceding_label("flags 0x904", 6), None);
    }
}
