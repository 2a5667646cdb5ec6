//! Words that introduce codes and host names in pasted text, by language.

use indexmap::IndexMap;
use serde::Deserialize;

/// The labels file as written on disk (`catalog/labels.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelsFile {
    #[serde(default)]
    pub error_code: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub extended_error_code: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub event_id: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub status_code: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub remote_computer: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub not_a_code: IndexMap<String, Vec<String>>,
}

/// What a label says about the code that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// The main error code.
    ErrorCode,
    /// The extended error code.
    ExtendedErrorCode,
    /// A Windows event ID.
    EventId,
    /// An HRESULT, NTSTATUS or SSPI status.
    StatusCode,
    /// A host name follows.
    RemoteComputer,
    /// Words that look like a code label but introduce something else ("exit status 1",
    /// "fatal error code is 40", an HTTP "Status Code: 404"); the number after them is skipped.
    NotACode,
}

/// One label in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// What the label introduces.
    pub kind: LabelKind,
    /// ISO 639-1 language code.
    pub lang: String,
    /// The label's words.
    pub text: String,
}

/// Every label known, from every layer.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// All labels, in load order.
    pub labels: Vec<Label>,
}

impl Labels {
    pub(crate) fn add_file(&mut self, file: LabelsFile) {
        let groups = [
            (LabelKind::ErrorCode, file.error_code),
            (LabelKind::ExtendedErrorCode, file.extended_error_code),
            (LabelKind::EventId, file.event_id),
            (LabelKind::StatusCode, file.status_code),
            (LabelKind::RemoteComputer, file.remote_computer),
            (LabelKind::NotACode, file.not_a_code),
        ];
        for (kind, by_lang) in groups {
            for (lang, texts) in by_lang {
                for text in texts {
                    let text = text.trim().to_string();
                    let duplicate = self
                        .labels
                        .iter()
                        .any(|l| l.kind == kind && l.text.eq_ignore_ascii_case(&text));
                    if !text.is_empty() && !duplicate {
                        self.labels.push(Label {
                            kind,
                            lang: lang.clone(),
                            text,
                        });
                    }
                }
            }
        }
    }
}
