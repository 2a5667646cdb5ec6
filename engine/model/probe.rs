//! What probes are and what they say, as plain data: scripts, results and verdicts.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Origin;

/// The outcome of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked, and nothing is wrong.
    Pass,
    /// Checked, and a problem was found.
    Fail,
    /// Could not check (the script failed, or an answer was unusable).
    Error,
    /// Not run: a layer below failed, or it does not apply (no gateway given).
    Skipped,
}

impl Status {
    /// `pass`, `fail`, `error`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }

    /// Reads `pass`, `fail`, `error` or `skipped`.
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "pass" => Some(Status::Pass),
            "fail" => Some(Status::Fail),
            "error" => Some(Status::Error),
            "skipped" => Some(Status::Skipped),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The probe's name (its script's file stem).
    pub probe: String,
    /// Pass, fail, error or skipped.
    pub status: Status,
    /// One line for a person.
    pub summary: String,
    /// The facts behind it, for rules and templates.
    #[serde(default)]
    pub facts: serde_json::Map<String, Value>,
    /// How long it ran.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// What the script printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ProbeResult {
    /// A result without facts.
    pub fn new(probe: &str, status: Status, summary: impl Into<String>) -> ProbeResult {
        ProbeResult {
            probe: probe.to_string(),
            status,
            summary: summary.into(),
            facts: serde_json::Map::new(),
            elapsed_ms: 0,
            notes: Vec::new(),
        }
    }
}

/// A probe script and what its header declares.
#[derive(Debug, Clone)]
pub struct ProbeScript {
    /// The file stem: `tls_certificate`.
    pub name: String,
    /// The Rhai source.
    pub source: String,
    /// Where it was loaded from.
    pub origin: Origin,
    /// Probes that must pass first (`//! needs: dns, reachability`).
    pub needs: Vec<String>,
    /// What it checks: the first `//!` line.
    pub about: String,
    /// A library (`probes/lib/<name>.rhai`) that probes `import`; never run on its own.
    pub library: bool,
    /// The libraries it imports (`import "name" as n;`), with the 1-based line and column of
    /// each name.
    pub imports: Vec<(String, usize, usize)>,
}

impl ProbeScript {
    /// Reads the `//!` header of `source`.
    pub fn new(name: &str, source: String, origin: Origin, library: bool) -> ProbeScript {
        let mut needs = Vec::new();
        let mut about = String::new();
        for line in source.lines() {
            let Some(doc) = line.trim().strip_prefix("//!") else {
                break;
            };
            let doc = doc.trim();
            if let Some(list) = doc.strip_prefix("needs:") {
                needs.extend(
                    list.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            } else if about.is_empty() && !doc.is_empty() {
                about = doc.to_string();
            }
        }
        let imports = imports_of(&source);
        ProbeScript {
            name: name.to_string(),
            source,
            origin,
            needs,
            about,
            library,
            imports,
        }
    }
}

/// The names a Rhai source imports (`import "name"`), outside `//` comments, with the line and
/// column of each name.
fn imports_of(source: &str) -> Vec<(String, usize, usize)> {
    let mut imports = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("import") {
            let before = &code[..code.len() - rest.len() + at];
            let after = rest[at + "import".len()..].trim_start();
            let word_start = before
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            if let (true, Some(quoted)) = (word_start, after.strip_prefix('"')) {
                if let Some(end) = quoted.find('"') {
                    let name = quoted[..end].trim_end_matches(".rhai").to_string();
                    let column = code.len() - quoted.len() + 1;
                    imports.push((name, n + 1, column));
                }
            }
            rest = &rest[at + "import".len()..];
        }
    }
    imports
}

/// What a probe said about one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeVerdict {
    /// The probe.
    pub probe: String,
    /// Its status.
    pub status: Status,
    /// Its summary.
    pub summary: String,
    /// `confirmed`, `refuted`, `inconclusive` (ran, neither expression held) or `not_run`.
    pub verdict: &'static str,
    /// The probe's facts.
    pub facts: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::imports_of;

    #[test]
    fn imports_are_read_with_their_place_and_comments_are_not() {
        let source = "// import \"old\" as o;\nimport \"lib_a\" as a;\nlet x = 1; import \"b.rhai\" as b;\nlet reimport = 2;\n";
        assert_eq!(
            imports_of(source),
            [("lib_a".to_string(), 2, 9), ("b".to_string(), 3, 20)]
        );
    }
}
