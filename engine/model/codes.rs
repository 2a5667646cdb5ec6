//! The error-code catalog: what each code means, in each family that defines it.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Category, Code, Family, Origin, Reference};

/// A file of rdp-doctor's error-code catalog: the codes of one family (`catalog/<family>.yaml`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rdp-doctor catalog file")]
pub(crate) struct CatalogFile {
    /// The family every entry belongs to.
    pub family: Family,
    /// The codes.
    #[serde(default)]
    pub entries: Vec<EntryFile>,
    /// Texts of entries defined elsewhere (here or in another file or layer of the same
    /// family), each in one language and with where it was seen: translations.
    #[serde(default)]
    pub texts: Vec<TextFile>,
}

/// One more text of a catalog entry, in one language.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextFile {
    /// The entry: its code (`0x904`) or, for an entry without a code, its id.
    #[schemars(schema_with = "code_schema")]
    pub entry: String,
    /// The language (`de`, `pt-BR`, `zh-TW`, ...).
    pub lang: String,
    /// The text as the program shows it; `{host}` or `{value}` where it varies.
    pub text: String,
    /// Where this text was seen (a URL); `rules check` (the `cli` feature) checks it.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub source: Option<String>,
}

/// A code: a string, or a number where YAML reads a bare `0x904` as one.
fn code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["string", "integer"] })
}

/// One code (or one code-less message, with an `id`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryFile {
    /// The code, in hex (`0x904`) or decimal.
    #[serde(default)]
    #[schemars(schema_with = "code_schema")]
    pub code: Option<String>,
    /// For an entry without a code: its key (`identity-warning`).
    pub id: Option<String>,
    /// The symbol (`ERRINFO_SERVER_DENIED_CONNECTION`).
    pub symbol: Option<String>,
    /// A short name.
    pub name: String,
    /// What it means.
    pub meaning: String,
    /// Other spellings (decimal forms, older names).
    #[serde(default)]
    #[schemars(schema_with = "super::rules::code_list_schema")]
    pub aliases: Vec<String>,
    /// The message texts by language (`en`, `de`, `ja`, ...).
    #[serde(default)]
    pub messages: IndexMap<String, Vec<String>>,
    /// A remark.
    pub note: Option<String>,
    /// The category of what it usually means, so that it is a candidate of its own when no
    /// rule explains it.
    pub category: Option<Category>,
    /// What to check first, in a sentence or two (a template, like a rule's texts).
    pub check_first: Option<String>,
    /// For an event ID: the event providers (`Source` in Event Viewer) that log it with this
    /// meaning, such as `Microsoft-Windows-Security-Auditing`. An event ID is only unique
    /// within its provider: an event of another provider with the same number is not this one.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Where the facts come from.
    #[serde(default)]
    pub references: Vec<Reference>,
}

/// What the catalog knows about one code (or one code-less message) in one family.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// The family that gives the code this meaning.
    pub family: Family,
    /// The code's value; `None` for message-only entries.
    pub code: Option<Code>,
    /// The kebab-case id of a message-only entry.
    pub id: Option<String>,
    /// The official symbol, e.g. `ERRINFO_SERVER_DENIED_CONNECTION`.
    pub symbol: Option<String>,
    /// A short human name.
    pub name: String,
    /// What the code means.
    pub meaning: String,
    /// Other spellings: decimal forms, FreeRDP names and codes.
    pub aliases: Vec<String>,
    /// Texts users see, by language; `{host}` stands for the remote computer.
    pub messages: IndexMap<String, Vec<String>>,
    /// Caveats and cross-family readings.
    pub note: Option<String>,
    /// The category of what it usually means (`other` when the file gives none).
    pub category: Option<Category>,
    /// What to check first (a template).
    pub check_first: Option<String>,
    /// For an event ID, the providers that log it with this meaning (none: not known).
    pub providers: Vec<String>,
    /// Where the facts come from.
    pub references: Vec<Reference>,
    /// The file the entry came from.
    pub origin: Origin,
}

impl CatalogEntry {
    /// The entry's stable key: `disconnect:0x904` or `other:identity-warning`.
    pub fn key(&self) -> String {
        match (self.code, &self.id) {
            (Some(code), _) => format!("{}:{code}", self.family.prefix()),
            (None, Some(id)) => format!("{}:{id}", self.family.prefix()),
            (None, None) => format!("{}:?", self.family.prefix()),
        }
    }

    /// A heading for the entry: its family, code and name (`client disconnect reason 0x904:
    /// Socket closed`).
    pub fn title(&self) -> String {
        format!(
            "{} {}: {}",
            self.family.label(),
            self.display_code(),
            self.name
        )
    }

    /// The code as text (an event ID in decimal, as Event Viewer shows it: `1149`; others in
    /// hex), or the id of a message-only entry.
    pub fn display_code(&self) -> String {
        match (self.code, &self.id) {
            (Some(code), _) if self.family == Family::EventId => code.0.to_string(),
            (Some(code), _) => code.to_string(),
            (None, Some(id)) => id.clone(),
            (None, None) => String::new(),
        }
    }
}

/// Every catalog entry, indexed by family and code and by symbol.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    by_key: HashMap<String, usize>,
    by_code: HashMap<(Family, Code), usize>,
    by_symbol: HashMap<String, usize>,
    /// Symbols without their family prefix and underscores, lower case (`logoffbyuser`), for
    /// the CamelCase names other clients print; `None` when two codes share one.
    by_plain_symbol: HashMap<String, Option<usize>>,
    by_numeric_alias: HashMap<Code, usize>,
}

impl Catalog {
    /// Adds an entry; an entry with the same key is replaced and returned.
    pub fn insert(&mut self, entry: CatalogEntry) -> Option<CatalogEntry> {
        let key = entry.key();
        if let Some(&index) = self.by_key.get(&key) {
            let old = std::mem::replace(&mut self.entries[index], entry);
            self.index_entry(index);
            return Some(old);
        }
        let index = self.entries.len();
        self.entries.push(entry);
        self.by_key.insert(key, index);
        self.index_entry(index);
        None
    }

    fn index_entry(&mut self, index: usize) {
        let entry = &self.entries[index];
        if let Some(code) = entry.code {
            self.by_code.insert((entry.family, code), index);
        }
        let symbols = entry.symbol.iter().chain(entry.aliases.iter());
        let mut plain = Vec::new();
        for symbol in symbols.filter(|s| is_symbol(s)) {
            self.by_symbol.insert(symbol.to_ascii_uppercase(), index);
            plain.extend(plain_symbol(symbol));
        }
        for key in plain {
            let code = entry.code;
            let slot = self.by_plain_symbol.entry(key).or_insert(Some(index));
            if slot.is_some_and(|i| i != index && self.entries[i].code != code) {
                *slot = None;
            }
        }
        // Hex aliases (`0x0001000C`), and decimal ones that are another number than the code
        // (RD Gateway events print the low half of 0x800759DA as `23002`).
        let numeric_aliases = entry.aliases.iter().filter_map(|a| {
            if a.starts_with("0x") || a.starts_with("0X") {
                Code::parse(a)
            } else if a.bytes().all(|b| b.is_ascii_digit()) {
                a.parse::<u32>().ok().map(Code)
            } else {
                None
            }
        });
        for alias in numeric_aliases {
            if Some(alias) != entry.code {
                self.by_numeric_alias.insert(alias, index);
            }
        }
    }

    /// All entries, in load order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry for `code` in `family`.
    pub fn get(&self, family: Family, code: Code) -> Option<&CatalogEntry> {
        self.by_code.get(&(family, code)).map(|&i| &self.entries[i])
    }

    /// The position of the entry with this key in [`Catalog::entries`].
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// Adds a text in `lang` to the entry with this key; false when there is no such entry.
    pub(crate) fn add_text(&mut self, key: &str, lang: &str, text: &str) -> bool {
        let Some(&index) = self.by_key.get(key) else {
            return false;
        };
        let texts = self.entries[index]
            .messages
            .entry(lang.to_string())
            .or_default();
        if !texts.iter().any(|t| t == text) {
            texts.push(text.to_string());
        }
        true
    }

    /// The entry with this key (`disconnect:0x904`, `other:identity-warning`).
    pub fn by_key(&self, key: &str) -> Option<&CatalogEntry> {
        self.by_key.get(key).map(|&i| &self.entries[i])
    }

    /// Every entry that defines `code`, in family order.
    pub fn readings(&self, code: Code) -> Vec<&CatalogEntry> {
        Family::ALL
            .iter()
            .filter_map(|&family| self.get(family, code))
            .collect()
    }

    /// The entry whose symbol or alias is `symbol` (case-insensitive).
    pub fn by_symbol(&self, symbol: &str) -> Option<&CatalogEntry> {
        self.by_symbol
            .get(&symbol.to_ascii_uppercase())
            .map(|&i| &self.entries[i])
    }

    /// The entry whose symbol, without its family prefix, is this CamelCase name
    /// (`DisconnectedByOtherConnection` for `ERRINFO_DISCONNECTED_BY_OTHERCONNECTION`,
    /// `RpcInitiatedDisconnectByUser`), as the Apple clients and IronRDP print them.
    pub fn by_camel_case(&self, name: &str) -> Option<&CatalogEntry> {
        let key: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        let key = key.to_ascii_lowercase();
        self.by_plain_symbol
            .get(&key)
            .copied()
            .flatten()
            .map(|i| &self.entries[i])
    }

    /// The entry that lists `code` among its numeric aliases (`0x1000c` for ERRINFO 0xc,
    /// `23002` for 0x800759DA).
    pub fn by_numeric_alias(&self, code: Code) -> Option<&CatalogEntry> {
        self.by_numeric_alias.get(&code).map(|&i| &self.entries[i])
    }

    /// True when the catalog defines `code` in `family`.
    pub fn defines(&self, family: Family, code: Code) -> bool {
        self.by_code.contains_key(&(family, code))
    }
}

/// Family prefixes a symbol's CamelCase spelling leaves out.
const SYMBOL_PREFIXES: &[&str] = &[
    "ERRINFO_",
    "ERRCONNECT_",
    "STATUS_",
    "exDiscReason",
    "disconnectReason",
];

/// The prefix-free, underscore-free, lower-case form of `symbol`, when it is long enough to
/// name one thing (`logoffbyuser`); `None` for short ones.
fn plain_symbol(symbol: &str) -> Option<String> {
    let rest = SYMBOL_PREFIXES
        .iter()
        .find_map(|p| symbol.strip_prefix(p))
        .unwrap_or(symbol);
    let plain: String = rest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    (plain.len() >= 12).then_some(plain)
}

/// True for identifier-like aliases (`ERRINFO_RPC_INITIATED_DISCONNECT`), not for numbers.
fn is_symbol(text: &str) -> bool {
    text.len() > 3
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && text.chars().any(|c| c.is_ascii_alphabetic())
        && !text.starts_with("0x")
}
