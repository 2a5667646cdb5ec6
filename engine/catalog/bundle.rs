//! The knowledge the website hands to the engine in the browser: the files of every layer.

use std::borrow::Cow;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{
    Layer, Origin, SourceFile, codes, is_labels, is_probe, is_template, is_yaml, labels, rules,
};

/// The catalog, rule and probe files of some layers: the knowledge the site hands
/// to the engine in the browser, which loads it as the command line loads the files, so both
/// rank alike. Paths of folders given at run time are not kept (a site is public): a file of
/// the n-th folder is named `rules folder n/<relative path>`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Bundle {
    /// The layout version ([`Bundle::VERSION`]); a reader refuses another.
    pub version: u32,
    /// The files of each layer, lowest precedence first.
    pub layers: Vec<Vec<BundleFile>>,
}

/// One file of a [`Bundle`].
#[derive(Debug, Serialize, Deserialize)]
pub struct BundleFile {
    /// Its path inside its layer (`rules/certificate/x.yaml`).
    pub relative: String,
    /// True for a file embedded in the binary.
    pub embedded: bool,
    /// A YAML document as JSON, when JSON reads as the YAML does (faster to load), without
    /// the texts the paste box never reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Box<RawValue>>,
    /// The text otherwise: probe scripts, and YAML whose JSON would not read the same (JSON
    /// loses how a scalar was written: `0x101` becomes 257).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Bundle {
    /// The layout this code writes and reads.
    pub const VERSION: u32 = 1;

    /// The catalog, rule and probe files of `layers`: YAML as JSON where JSON reads the same,
    /// without the texts only reports and pages show; everything else as text.
    pub fn from_layers(layers: &[Layer]) -> Bundle {
        let layers = layers
            .iter()
            .map(|layer| {
                layer
                    .files
                    .iter()
                    .filter(|f| is_yaml(&f.relative) || is_probe(&f.relative))
                    .filter(|f| !is_template(&f.relative))
                    .map(|file| {
                        // One parse per file: to a JSON value, checked and slimmed in place.
                        let value = match &file.precompiled {
                            Some(json) => serde_json::from_str(json).ok(),
                            None if is_yaml(&file.relative) => {
                                serde_yaml::from_str::<serde_yaml::Value>(&file.text)
                                    .ok()
                                    .and_then(|value| serde_json::to_value(value).ok())
                            }
                            None => None,
                        };
                        let document = value
                            .filter(|value| reads_as_knowledge(&file.relative, value))
                            .map(|mut value| {
                                slim(&file.relative, &mut value);
                                value
                            })
                            .and_then(|value| serde_json::value::to_raw_value(&value).ok());
                        BundleFile {
                            relative: file.relative.clone(),
                            embedded: matches!(file.origin, Origin::Embedded(_)),
                            text: document.is_none().then(|| file.text.clone()),
                            document,
                        }
                    })
                    .collect()
            })
            .collect();
        Bundle {
            version: Bundle::VERSION,
            layers,
        }
    }

    /// The layers the bundle holds, ready for [`Knowledge::load`].
    pub fn into_layers(self) -> Vec<Layer> {
        self.layers
            .into_iter()
            .enumerate()
            .map(|(n, files)| Layer {
                files: files
                    .into_iter()
                    .map(|file| SourceFile {
                        origin: if file.embedded {
                            Origin::Embedded(file.relative.clone())
                        } else {
                            Origin::File(PathBuf::from(format!(
                                "rules folder {n}/{}",
                                file.relative
                            )))
                        },
                        relative: file.relative,
                        text: file.text.unwrap_or_default(),
                        precompiled: file.document.map(|d| Cow::Owned(d.get().to_string())),
                    })
                    .collect(),
                problems: Vec::new(),
            })
            .collect()
    }
}

/// Rule fields that only reports and pages show, never extraction or ranking. The summary,
/// causes and examples stay: the words-without-codes search (`related`) reads them.
const RULE_TEXTS: &[&str] = &["steps", "references", "counter_examples"];

/// Catalog entry fields that only `explain`, reports and the pages show.
const ENTRY_TEXTS: &[&str] = &["note", "references", "check_first"];

/// Removes from a document the texts the paste box never reads (most of its size): a rule's
/// steps, references and counter-examples, a catalog entry's meaning, note, check-first text
/// and references. Labels are kept whole.
fn slim(relative: &str, value: &mut serde_json::Value) {
    if is_labels(relative) {
        return;
    }
    if relative.starts_with("catalog/") {
        let entries = value.get_mut("entries").and_then(|e| e.as_array_mut());
        for entry in entries
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_object_mut())
        {
            ENTRY_TEXTS.iter().for_each(|key| drop(entry.remove(*key)));
            if let Some(meaning) = entry.get_mut("meaning") {
                *meaning = serde_json::Value::from("");
            }
        }
    } else if let Some(rule) = value.as_object_mut() {
        RULE_TEXTS.iter().for_each(|key| drop(rule.remove(*key)));
    }
}

/// True when `value` reads as the type the loader reads the file at `relative` as.
fn reads_as_knowledge(relative: &str, value: &serde_json::Value) -> bool {
    use serde::Deserialize as _;
    if is_labels(relative) {
        labels::LabelsFile::deserialize(value).is_ok()
    } else if relative.starts_with("catalog/") {
        codes::CatalogFile::deserialize(value).is_ok()
    } else {
        rules::RuleFile::deserialize(value).is_ok()
    }
}
