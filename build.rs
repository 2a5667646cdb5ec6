//! Embeds the knowledge folders in the binary.
//!
//! Every file of catalog/, rules/, probes/ and site/ is embedded as text. YAML files are also
//! converted to JSON here, once, because reading JSON at start-up is many times faster than
//! reading YAML; the loader falls back to the YAML text (and its exact error positions) for any
//! file the JSON form cannot represent.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "engine/literals.rs"]
#[allow(dead_code)]
mod literals;
#[path = "engine/rule_regex.rs"]
#[allow(dead_code)]
mod rule_regex;

const FOLDERS: &[&str] = &["catalog", "rules", "probes", "site"];

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut files = Vec::new();
    // Without the `embedded` feature (the engine built for the browser, which is handed its
    // knowledge at run time) nothing is embedded.
    let folders = if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_some() {
        FOLDERS
    } else {
        &[]
    };
    for folder in folders {
        println!("cargo:rerun-if-changed={folder}");
        collect(&root.join(folder), &mut files);
    }
    files.sort();
    let mut regexes: Vec<String> = Vec::new();
    let mut table = String::from("/// Embedded files: (path, text, JSON form of a YAML file).\n");
    table.push_str("pub static EMBEDDED_FILES: &[(&str, &str, Option<&str>)] = &[\n");
    for (n, path) in files.iter().enumerate() {
        let relative = path
            .strip_prefix(&root)
            .expect("collected under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let is_yaml = relative.ends_with(".yaml") || relative.ends_with(".yml");
        // Each YAML file is parsed once: its JSON form and its signature regexes come from it.
        let value = is_yaml.then(|| parse_yaml(path)).flatten();
        if let Some(value) = &value {
            signature_regexes(value, &mut regexes);
        }
        let json = value
            .and_then(|v| serde_json::to_string(&v).ok())
            .map(|json| {
                let json_path = out.join(format!("embedded-{n}.json"));
                std::fs::write(&json_path, json).expect("OUT_DIR is writable");
                json_path
            });
        let _ = writeln!(
            table,
            "    ({relative:?}, include_str!({:?}), {}),",
            path.display().to_string(),
            match json {
                Some(p) => format!("Some(include_str!({:?}))", p.display().to_string()),
                None => "None".to_string(),
            }
        );
    }
    table.push_str("];\n");
    table.push_str(&regex_words_table(regexes));
    std::fs::write(out.join("embedded.rs"), table).expect("OUT_DIR is writable");
}

/// Adds the signature regexes of a rule document to `regexes`, each once.
fn signature_regexes(document: &serde_yaml::Value, regexes: &mut Vec<String>) {
    let signatures = document.get("signatures").and_then(|s| s.as_sequence());
    for signature in signatures.into_iter().flatten() {
        if let Some(regex) = signature.get("regex").and_then(|r| r.as_str()) {
            if !regexes.iter().any(|s| s == regex) {
                regexes.push(regex.to_string());
            }
        }
    }
}

/// For every signature regex of the embedded rules, the words one of which each match
/// contains (see engine/rule_regex.rs), so the binary need not parse the regexes to know them.
fn regex_words_table(regexes: Vec<String>) -> String {
    let mut table =
        String::from("/// Required words of embedded signature regexes: (regex, words).\n");
    table.push_str("pub static REGEX_WORDS: &[(&str, Option<&[&str]>)] = &[\n");
    for source in regexes {
        let words = match rule_regex::required_words(&source) {
            Some(words) => format!("Some(&{words:?})"),
            None => "None".to_string(),
        };
        let _ = writeln!(table, "    ({source:?}, {words}),");
    }
    table.push_str("];\n");
    table
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else if std::fs::read_to_string(&path).is_ok() {
            files.push(path);
        }
    }
}

/// A YAML file's value, or `None` when it does not parse (the loader then reports the YAML
/// error with its position, from the text).
fn parse_yaml(path: &Path) -> Option<serde_yaml::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_yaml::from_str(&text).ok()
}
