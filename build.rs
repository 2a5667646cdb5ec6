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
    let mut table = String::from("/// Embedded files: (path, text, JSON form of a YAML file).\n");
    table.push_str("pub static EMBEDDED_FILES: &[(&str, &str, Option<&str>)] = &[\n");
    for (n, path) in files.iter().enumerate() {
        let relative = path
            .strip_prefix(&root)
            .expect("collected under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let is_yaml = relative.ends_with(".yaml") || relative.ends_with(".yml");
        let json = is_yaml.then(|| to_json(path)).flatten().map(|json| {
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
    table.push_str(&regex_words_table(&files));
    std::fs::write(out.join("embedded.rs"), table).expect("OUT_DIR is writable");
}

/// For every signature regex of the embedded rules, the words one of which each match
/// contains (see engine/literals.rs), so the binary need not parse the regexes to know them.
fn regex_words_table(files: &[PathBuf]) -> String {
    let mut sources = Vec::new();
    for path in files {
        let Some(value) = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
        else {
            continue;
        };
        let signatures = value.get("signatures").and_then(|s| s.as_sequence());
        for signature in signatures.into_iter().flatten() {
            if let Some(regex) = signature.get("regex").and_then(|r| r.as_str()) {
                if !sources.iter().any(|s: &String| s == regex) {
                    sources.push(regex.to_string());
                }
            }
        }
    }
    let mut table =
        String::from("/// Required words of embedded signature regexes: (regex, words).\n");
    table.push_str("pub static REGEX_WORDS: &[(&str, Option<&[&str]>)] = &[\n");
    for source in sources {
        let words = match literals::required_words(&source) {
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

/// The JSON form of a YAML file, or `None` when it does not parse (the loader then reports
/// the YAML error with its position).
fn to_json(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    serde_json::to_string(&value).ok()
}
