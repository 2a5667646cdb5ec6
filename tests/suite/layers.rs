//! The engine's import graph: every module imports only modules of lower layers, so the
//! graph has no cycle. `cargo test --test suite layers -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The engine's top-level modules, lowest layer first. A module may use the modules of the
/// layers before its own, and nothing of its own layer or above.
const LAYERS: &[&[&str]] = &[
    // text helpers: character folding, the rule-regex dialect, phrase search, YAML
    &["limits", "literals"],
    &["rule_regex", "search", "untrusted", "yaml"],
    // plain data types
    &["model"],
    // the Rhai sandbox, over the probe data types
    &["sandbox"],
    // loading and validation: files, layers, derived relations
    &["catalog"],
    // the stages of a diagnosis, in the order data flows through them
    &["extract"],
    &["matcher", "related", "redact"],
    &["ranking"],
    &["probe"],
    &["render"],
    // what is built from the stages
    &["site", "check", "scan"],
    // the command line
    &["cli", "fuzzing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a file of `engine/` belongs to (`engine/probe/net.rs` is `probe`).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Every top-level module a source text names with `crate::`, also inside `use crate::{a, b}`.
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // Doc comments and comments may name modules; only code counts.
    let code: String = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// module -> modules it imports, with one file that does it.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 10,
        "no engine sources under {}",
        root.display()
    );
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under engine/");
        let Some(module) = module_of(relative) else {
            continue;
        };
        let source = fs::read_to_string(&file).expect("readable source");
        let edges = graph.entry(module.clone()).or_default();
        for import in imports(&source) {
            if import != module {
                edges
                    .entry(import)
                    .or_insert_with(|| format!("engine/{}", relative.display()));
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unknown: Vec<String> = graph()
        .keys()
        .filter(|m| layer_of(m).is_none())
        .cloned()
        .collect();
    assert!(
        unknown.is_empty(),
        "modules without a layer in tests/layers.rs: {unknown:?}"
    );
}

#[test]
fn modules_import_only_lower_layers() {
    let graph = graph();
    let mut wrong = Vec::new();
    println!("engine import graph (module: what it imports), lowest layer first:");
    for layer in LAYERS {
        for module in *layer {
            let Some(edges) = graph.get(*module) else {
                continue;
            };
            let names: Vec<&str> = edges.keys().map(String::as_str).collect();
            println!("  {module}: {}", names.join(", "));
            for (import, file) in edges {
                let ok =
                    matches!((layer_of(module), layer_of(import)), (Some(a), Some(b)) if b < a);
                if !ok {
                    wrong.push(format!("{file}: `{module}` imports `{import}`"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers (a module may use only lower layers):\n{}",
        wrong.join("\n")
    );
}

/// The modules built without features are the WebAssembly module's sources: wasm/build.sh
/// hashes exactly those, so a change to any of them is noticed (tests/run compares the hash).
#[test]
fn the_webassembly_hash_covers_every_module_built_without_features() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = fs::read_to_string(root.join("engine/lib.rs")).expect("engine/lib.rs");
    let mut gated = false;
    let mut ungated = Vec::new();
    for line in lib.lines().map(str::trim) {
        if line.starts_with("#[cfg(feature") {
            gated = true;
        } else if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(';'))
        {
            if !gated {
                ungated.push(name.to_string());
            }
            gated = false;
        }
    }
    assert!(ungated.len() >= 5, "modules without features: {ungated:?}");
    let script = fs::read_to_string(root.join("wasm/build.sh")).expect("wasm/build.sh");
    let listed = |name: &str| {
        [format!("engine/{name}.rs"), format!("engine/{name}")]
            .iter()
            .any(|path| script.split_whitespace().any(|word| word == path))
    };
    let missing: Vec<&String> = ungated.iter().filter(|m| !listed(m)).collect();
    assert!(
        missing.is_empty(),
        "wasm/build.sh does not hash these modules of the engine: {missing:?}"
    );
}

#[test]
fn the_reader_sees_groups_and_paths() {
    let found = imports(
        "use crate::a::B;\nuse crate::{c::{D, E}, f};\n// crate::g in a comment\nlet x = crate::h::i();",
    );
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(found, ["a", "c", "f", "h"]);
}
