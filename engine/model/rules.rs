//! Diagnosis rules: an error signature paired with causes and templated remediation.

use std::fmt;

use std::sync::OnceLock;

use indexmap::IndexMap;
use regex::Regex;
use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Category, CodeRef, Origin, Reference};
use crate::rule_regex;

/// A diagnosis rule of rdp-doctor: an error signature, the probes that confirm it, and the
/// causes and ordered remedies it explains (`rules/<category>/<id>.yaml`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rdp-doctor rule")]
pub(crate) struct RuleFile {
    /// Kebab-case id, equal to the file name without `.yaml`.
    #[schemars(regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: String,
    /// What went wrong, in one line.
    pub title: String,
    /// The category of the root cause.
    #[schemars(schema_with = "category_schema")]
    pub category: String,
    /// A few sentences (template: `{{ host }}`, `{{ code }}`, `{{ extended }}`, `{{ probes.* }}`).
    #[serde(default)]
    pub summary: String,
    /// The codes the rule explains, as `family:code` (`disconnect:0x904`) or a bare code.
    #[serde(default)]
    #[schemars(schema_with = "code_list_schema")]
    pub codes: Vec<String>,
    /// What a paste must show; the weights of the matched signatures add up to the score.
    pub signatures: Vec<SignatureFile>,
    /// Probes that confirm or refute the rule on a live host.
    #[serde(default)]
    pub probes: Vec<ProbeCheck>,
    /// Why it happens (templates).
    #[serde(default)]
    pub causes: Vec<String>,
    /// What to do, in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Documentation behind the advice.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Real pastes that must rank this rule in the top 3.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Real pastes that must not match this rule.
    #[serde(default)]
    pub counter_examples: Vec<Example>,
}

/// One signature: exactly one of `codes`, `text`, `regex`, `message`, with a weight.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["codes"] },
    { "required": ["text"] },
    { "required": ["regex"] },
    { "required": ["message"] },
]))]
pub(crate) struct SignatureFile {
    /// Codes that must all be present (`disconnect:0x904`, `extended:0x7`, `0x904`).
    #[serde(default)]
    #[schemars(schema_with = "code_list_schema")]
    pub codes: Option<Vec<String>>,
    /// A phrase, matched case-, quote- and whitespace-insensitively, with a typo or two.
    pub text: Option<String>,
    /// A regular expression in the subset Rust and JavaScript read alike.
    pub regex: Option<String>,
    /// A catalog message key (`other:identity-warning`), matched in every language it has.
    pub message: Option<String>,
    /// The language of a text or regex signature (`de`, `ja`, ...).
    pub lang: Option<String>,
    /// How much the signature counts; negative weights count against the rule.
    pub weight: f64,
}

fn category_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    schemars::json_schema!({ "type": "string", "enum": names })
}

/// Codes: strings, or numbers where YAML reads a bare `0x101` as one.
pub(crate) fn code_list_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "array", "items": { "type": ["string", "integer"] } })
}

fn command_kinds_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "propertyNames": { "enum": COMMAND_KINDS },
        "additionalProperties": { "type": "string" },
    })
}

/// A diagnosis rule, validated.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Permanent kebab-case id; equals the file stem.
    pub id: String,
    /// One line naming the root cause.
    pub title: String,
    /// The root cause's category.
    pub category: Category,
    /// What goes wrong, in a few sentences (template).
    pub summary: String,
    /// The codes this rule explains.
    pub codes: Vec<CodeRef>,
    /// The evidence that points to this rule.
    pub signatures: Vec<Signature>,
    /// Probes that confirm or refute the rule on a live host.
    pub probes: Vec<ProbeCheck>,
    /// Why it happens (templates).
    pub causes: Vec<String>,
    /// Ordered remediation (templates).
    pub steps: Vec<Step>,
    /// Documentation behind the advice.
    pub references: Vec<Reference>,
    /// Real pastes that must rank this rule in the top 3.
    pub examples: Vec<Example>,
    /// Real pastes that must not match this rule.
    pub counter_examples: Vec<Example>,
    /// Where the rule was loaded from.
    pub origin: Origin,
}

/// One piece of evidence and its weight.
#[derive(Debug, Clone)]
pub struct Signature {
    /// What must appear in the paste.
    pub pattern: Pattern,
    /// How much a match adds to the rule's score; negative weights count against it.
    pub weight: f64,
    /// The language of a text or regex, when it is not English.
    pub lang: Option<String>,
}

/// What a signature looks for.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// All of these codes, each in its family (or in any family when bare).
    Codes(Vec<CodeRef>),
    /// A phrase, matched case- and whitespace-insensitively.
    Text(String),
    /// A regular expression over the paste as written.
    Regex(RegexSignature),
    /// A catalog message, recognised in any language the catalog knows, typos tolerated:
    /// the catalog key of its entry (`other:identity-warning`, `disconnect:0x204`).
    Message(String),
}

/// A signature regex, compiled on first use: most pastes lack the words a given regex
/// needs, and compiling every rule's regexes at each start would dominate the run time.
#[derive(Debug, Clone)]
pub struct RegexSignature {
    source: String,
    /// Folded words one of which every match contains; `None` when the regex must always run.
    words: Option<Vec<String>>,
    compiled: OnceLock<Result<Regex, String>>,
}

impl RegexSignature {
    pub(crate) fn new(source: String, words: Option<Vec<String>>) -> RegexSignature {
        RegexSignature {
            source,
            words,
            compiled: OnceLock::new(),
        }
    }

    /// True when the regex parses; it is not compiled for this (see [`Self::regex`]).
    pub fn parses(&self) -> bool {
        match self.compiled.get() {
            Some(compiled) => compiled.is_ok(),
            None => rule_regex::parse(&self.source).is_ok(),
        }
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Folded words one of which every match contains, when known.
    pub fn required_words(&self) -> Option<&[String]> {
        self.words.as_deref()
    }

    /// The compiled regex, or why it does not compile.
    pub fn regex(&self) -> Result<&Regex, &str> {
        self.compiled
            .get_or_init(|| compile_signature_regex(&self.source))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Compiles a signature regex with the size limit every rule regex gets. `\b`, `\B`, `\d`
/// and `\w` are read as ASCII classes (the regex compiles several times faster, and the
/// engine in the browser is this same code).
pub(crate) fn compile_signature_regex(source: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&rule_regex::for_engine(source))
        .size_limit(crate::limits::RULE_REGEX_BYTES)
        .build()
        .map_err(|error| rule_regex::last_line(&error.to_string()))
}

impl Signature {
    /// A short description: `codes disconnect:0x904 + extended:0x7`, `text "..."`, `regex /.../`.
    pub fn describe(&self) -> String {
        match &self.pattern {
            Pattern::Codes(codes) => format!(
                "codes {}",
                codes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            Pattern::Text(text) => format!("text \"{text}\""),
            Pattern::Regex(regex) => format!("regex /{}/", regex.as_str()),
            Pattern::Message(key) => format!("message {key}"),
        }
    }
}

/// Which side of the connection a step is done on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The user, on the computer that connects.
    Client,
    /// An administrator, on the remote computer, gateway or host pool.
    Server,
}

/// One remediation step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does, in a few words (template).
    pub title: String,
    /// Where the step is done.
    pub side: Side,
    /// How and why (template).
    #[serde(default)]
    pub body: String,
    /// Exact commands by kind (`powershell`, `registry`, ...), in the author's order (templates).
    #[serde(default)]
    #[schemars(schema_with = "command_kinds_schema")]
    pub commands: IndexMap<String, String>,
}

/// The command kinds a step may give.
pub const COMMAND_KINDS: &[&str] = &[
    "powershell",
    "cmd",
    "registry",
    "group_policy",
    "azure_cli",
    "azure_run_command",
    "bash",
];

/// A probe a rule relies on, with the fact expressions that confirm or refute it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeCheck {
    /// The probe script's name (`probes/<name>.rhai`).
    pub probe: String,
    /// An expression over the probe's facts that confirms the rule.
    pub confirms_when: Option<String>,
    /// An expression over the probe's facts that refutes the rule.
    pub refutes_when: Option<String>,
}

/// A paste attached to a rule, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The paste, verbatim.
    pub text: String,
    /// Where it was found.
    pub source: Option<String>,
}

impl JsonSchema for Example {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Example".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A real paste, as text or with where it came from.",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "text": { "type": "string", "description": "The paste, verbatim." },
                        "source": { "type": "string", "description": "Where it was found (a URL)." },
                    },
                    "required": ["text"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}

impl<'de> Deserialize<'de> for Example {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Example, D::Error> {
        struct ExampleVisitor;

        impl<'de> Visitor<'de> for ExampleVisitor {
            type Value = Example;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a paste, or a map with `text` and `source`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Example, E> {
                Ok(Example {
                    text: text.to_string(),
                    source: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Example, A::Error> {
                let mut text = None;
                let mut source = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "text" => text = Some(map.next_value::<String>()?),
                        "source" => source = Some(map.next_value::<String>()?),
                        other => return Err(de::Error::unknown_field(other, &["text", "source"])),
                    }
                }
                let text = text.ok_or_else(|| de::Error::missing_field("text"))?;
                Ok(Example { text, source })
            }
        }

        deserializer.deserialize_any(ExampleVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_regexes_compile_with_ascii_word_boundaries() {
        assert!(
            compile_signature_regex(r"(?i)\bfunction\b")
                .unwrap()
                .is_match("The FUNCTION requested")
        );
        // As in JavaScript, a non-ASCII letter is not a word character for `\b`.
        assert!(compile_signature_regex(r"\bx\b").unwrap().is_match("éxé"));
    }
}
