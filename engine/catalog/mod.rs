//! Loads and validates the knowledge base: catalog, labels and rules, embedded and layered.
//!
//! Knowledge comes in layers: the files embedded in the binary first, then each directory given
//! at run time. A later layer's entry with the same key (catalog) or id (rules) replaces the
//! earlier one, and the replacement is reported as a [`Notice`]. A file that fails to parse or
//! validate becomes a [`Problem`] and is left out; everything else is still served.

mod bundle;
pub mod coverage;
mod explains;

pub use bundle::{Bundle, BundleFile};
pub use explains::Explains;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;

use crate::limits::KNOWLEDGE_FILE_BYTES;
pub use crate::model::codes::{Catalog, CatalogEntry};
pub use crate::model::labels::{Label, LabelKind, Labels};
use crate::model::probe::ProbeScript;
pub use crate::model::rules::{
    COMMAND_KINDS, Example, Pattern, ProbeCheck, RegexSignature, Rule, Side, Signature, Step,
};
use crate::model::{codes, labels, rules};

pub use crate::model::{Category, Code, CodeRef, Family, Origin, Reference};
use crate::yaml::{self, LazyIndex, Position};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// What kind of problem a file rdp-doctor reads has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file or folder cannot be read: missing, not a folder, not UTF-8.
    Read,
    /// The YAML does not parse or does not fit the schema (unknown or missing field, type).
    Yaml,
    /// A value is not valid: a code, an id, a category, a weight, a URL, a command kind.
    Value,
    /// A regex does not parse or does not compile.
    Regex,
    /// A name refers to nothing: a probe, a code, a catalog message, a template.
    Reference,
    /// The same rule id or catalog entry twice.
    Duplicate,
    /// A template does not parse or uses an unknown variable.
    Template,
    /// A probe script or a probe expression does not compile.
    Script,
    /// An example does not rank its rule, or a counter-example matches it.
    Example,
    /// A JSON file (a probe recording) does not parse, does not fit, or has another version.
    Json,
}

/// A problem in a file rdp-doctor reads (a knowledge file, a probe recording): its kind, where (the file's origin and a line and column),
/// what and how to fix it. The excerpt of the file is added only where it is printed
/// ([`Problem::render`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file it is in (shown as `embedded rules/x.yaml` or as the path, JSON `file`).
    #[serde(rename = "file", serialize_with = "serialize_display")]
    pub origin: Origin,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, as a lower-case fragment.
    pub message: String,
    /// How to fix it, when there is an obvious way.
    pub hint: Option<String>,
}

fn serialize_display<S: serde::Serializer>(
    value: &impl fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

impl Problem {
    pub(crate) fn new(
        kind: ProblemKind,
        file: &SourceFile,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            kind,
            origin: file.origin.clone(),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            message: message.into(),
            hint: None,
        }
    }

    /// A problem in the file at `path`, at a line and column when known.
    #[cfg(feature = "probe")]
    pub(crate) fn in_file(
        kind: ProblemKind,
        path: &Path,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            kind,
            origin: Origin::File(path.to_path_buf()),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            message: message.into(),
            hint: None,
        }
    }

    /// A problem with a file or folder as a whole, which cannot be read.
    pub(crate) fn unreadable(
        path: &Path,
        message: impl Into<String>,
        hint: Option<&str>,
    ) -> Problem {
        Problem {
            kind: ProblemKind::Read,
            origin: Origin::File(path.to_path_buf()),
            line: None,
            column: None,
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    /// The line of `source` (the problem's file) the problem is on.
    pub fn source_line<'s>(&self, source: &'s str) -> Option<&'s str> {
        source.lines().nth(self.line?.checked_sub(1)?)
    }

    /// The file, as the user knows it (`embedded rules/x.yaml` or a path).
    pub fn file(&self) -> String {
        self.origin.to_string()
    }

    /// True for a problem in the knowledge embedded in the binary.
    pub fn is_embedded(&self) -> bool {
        matches!(self.origin, Origin::Embedded(_))
    }

    pub(crate) fn with_hint(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }

    /// The problem with the offending line of `source` (the text of its file, when known) and
    /// a caret under the column, rustc style.
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = self.to_string();
        let text = source.and_then(|s| self.source_line(s));
        if let (Some(line), Some(text)) = (self.line, text) {
            let gutter = line.to_string().len();
            let column = self.column.unwrap_or(1).max(1);
            let pad: String = text
                .chars()
                .take(column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "\n{:gutter$} |\n{line} | {text}\n{:gutter$} | {pad}^",
                "", ""
            ));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  = hint: {hint}"));
        }
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.origin, self.message)
            }
            (Some(line), None) => write!(f, "{}:{line}: {}", self.origin, self.message),
            _ => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Something worth telling the user about the knowledge that was loaded, e.g. a replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The sentence to show.
    pub message: String,
}

/// A knowledge file read from the binary or from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where the file came from.
    pub origin: Origin,
    /// Its path inside its layer, with `/` separators (`rules/certificate/x.yaml`).
    pub relative: String,
    /// Its text.
    pub text: String,
    /// The same document as JSON, when there is one: converted at build time for embedded YAML
    /// (faster to read), or handed over in a [`Bundle`].
    pub precompiled: Option<Cow<'static, str>>,
}

/// One layer of knowledge: the embedded files, or one directory given at run time.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    /// The files of the layer, sorted by path.
    pub files: Vec<SourceFile>,
    /// Problems met while reading the layer (unreadable files, bad encodings).
    pub problems: Vec<Problem>,
}

impl Layer {
    /// The knowledge shipped in the binary.
    pub fn embedded() -> Layer {
        let files = embedded::EMBEDDED_FILES
            .iter()
            .filter(|(path, ..)| is_knowledge(path))
            .map(|(path, text, json)| SourceFile {
                origin: Origin::Embedded(path.to_string()),
                relative: path.to_string(),
                text: text.to_string(),
                precompiled: json.map(Cow::Borrowed),
            })
            .collect();
        Layer {
            files,
            problems: Vec::new(),
        }
    }

    /// A directory of extra knowledge. Files under a `catalog/` folder are catalog files
    /// (`catalog/labels.yaml` holds labels); every other `.yaml` file is a rule.
    pub fn directory(root: &Path) -> Layer {
        let mut layer = Layer::default();
        if !root.is_dir() {
            layer.problems.push(Problem::unreadable(
                root,
                "not a directory",
                Some("--rules takes a folder of YAML files"),
            ));
            return layer;
        }
        walk_directory(root, &mut layer);
        layer.files.sort_by(|a, b| a.relative.cmp(&b.relative));
        layer
    }
}

/// The JSON Schema of a rule file, generated from the types that read it.
pub fn rule_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(rules::RuleFile)).unwrap_or_default()
}

/// The JSON Schema of a catalog file, generated from the types that read it.
pub fn catalog_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(codes::CatalogFile)).unwrap_or_default()
}

/// An embedded text file of the site folder (templates and assets), by relative path.
pub fn embedded_site_file(relative: &str) -> Option<&'static str> {
    let path = format!("site/{relative}");
    embedded::EMBEDDED_FILES
        .iter()
        .find(|(p, ..)| *p == path)
        .map(|(_, text, _)| *text)
}

/// The required words of an embedded regex, computed when the binary was built.
fn embedded_required_words(source: &str) -> Option<Vec<String>> {
    match embedded::REGEX_WORDS.iter().find(|(s, _)| *s == source) {
        Some((_, words)) => words.map(|w| w.iter().map(|s| s.to_string()).collect()),
        None => crate::rule_regex::required_words(source),
    }
}

/// True for the YAML files of the catalog and rules folders, probe scripts and templates.
fn is_knowledge(path: &str) -> bool {
    ((path.starts_with("catalog/") || path.starts_with("rules/")) && is_yaml(path))
        || is_probe(path)
        || is_template(path)
}

/// True for a minijinja template of the site folder (`site/report/diagnosis.md.j2`).
fn is_template(path: &str) -> bool {
    path.starts_with("site/") && path.ends_with(".j2")
}

/// True for a probe script (`probes/<name>.rhai`) or probe library (`probes/lib/<name>.rhai`).
fn is_probe(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("probes/") else {
        return false;
    };
    let rest = rest.strip_prefix("lib/").unwrap_or(rest);
    rest.ends_with(".rhai") && !rest.contains('/')
}

/// Reads the knowledge files under `root`. Links are followed only to files and folders inside
/// `root`, each folder is read once (a link back to a parent is a loop, reported), and only
/// regular files are read (a FIFO named `x.yaml` would block), up to
/// [`KNOWLEDGE_FILE_BYTES`].
fn walk_directory(root: &Path, layer: &mut Layer) {
    let real_root = match std::fs::canonicalize(root) {
        Ok(real) => real,
        Err(error) => {
            layer.problems.push(io_problem(root, &error));
            return;
        }
    };
    let mut walked = HashSet::new();
    walk_folder(root, &real_root, root, &mut walked, layer);
}

fn walk_folder(
    root: &Path,
    real_root: &Path,
    dir: &Path,
    walked: &mut HashSet<PathBuf>,
    layer: &mut Layer,
) {
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if !walked.insert(real) {
                layer.problems.push(Problem::unreadable(
                    dir,
                    "a link to a folder already read (a loop); not followed",
                    Some("remove the link"),
                ));
                return;
            }
        }
        Err(error) => {
            layer.problems.push(io_problem(dir, &error));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            layer.problems.push(io_problem(dir, &error));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let knowledge_name = is_yaml(&relative) || is_probe(&relative) || is_template(&relative);
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            match std::fs::canonicalize(&path) {
                Ok(target) if target.starts_with(real_root) => {}
                Ok(_) => {
                    layer.problems.push(Problem::unreadable(
                        &path,
                        "a link that leads outside the folder; not followed",
                        Some("copy the file into the folder instead"),
                    ));
                    continue;
                }
                Err(_) if !knowledge_name => continue,
                Err(error) => {
                    layer.problems.push(io_problem(&path, &error));
                    continue;
                }
            }
        }
        // The link (if any) stays inside the folder: its target's kind decides.
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                layer.problems.push(io_problem(&path, &error));
                continue;
            }
        };
        if metadata.is_dir() {
            walk_folder(root, real_root, &path, walked, layer);
            continue;
        }
        // Any YAML file outside catalog/ is a rule, wherever it sits in the folder.
        if !knowledge_name {
            continue;
        }
        if !metadata.is_file() {
            layer.problems.push(Problem::unreadable(
                &path,
                "not a regular file (a pipe, socket or device); not read",
                None,
            ));
            continue;
        }
        match read_limited(&path, metadata.len()) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => layer.files.push(SourceFile {
                    origin: Origin::File(path.clone()),
                    relative,
                    text,
                    precompiled: None,
                }),
                Err(_) => layer.problems.push(Problem::unreadable(
                    &path,
                    "not valid UTF-8",
                    Some("save the file as UTF-8"),
                )),
            },
            Err(problem) => layer.problems.push(problem),
        }
    }
}

/// Reads a regular file of `length` bytes, refusing one larger than
/// [`KNOWLEDGE_FILE_BYTES`] (also when it grows while being read).
fn read_limited(path: &Path, length: u64) -> Result<Vec<u8>, Problem> {
    use std::io::Read;
    let too_large = || {
        Problem::unreadable(
            path,
            format!(
                "larger than {} MiB; not read",
                KNOWLEDGE_FILE_BYTES / (1024 * 1024)
            ),
            Some("split it into several files"),
        )
    };
    if length > KNOWLEDGE_FILE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|e| io_problem(path, &e))?;
    let mut bytes = Vec::with_capacity(length as usize);
    file.take(KNOWLEDGE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_problem(path, &e))?;
    if bytes.len() as u64 > KNOWLEDGE_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Every library whose imports lead back to it: the library, the index of its import that
/// starts the cycle, and the names along it (`a -> b -> a`).
fn import_cycles(probes: &[ProbeScript]) -> Vec<(&ProbeScript, usize, Vec<String>)> {
    let library = |name: &str| probes.iter().find(|p| p.library && p.name == name);
    let mut cycles = Vec::new();
    for start in probes.iter().filter(|p| p.library) {
        'imports: for (i, (first, ..)) in start.imports.iter().enumerate() {
            // Depth-first from this import; `path` is the chain of names that led here.
            let mut stack = vec![vec![start.name.clone(), first.clone()]];
            let mut seen = HashSet::new();
            while let Some(path) = stack.pop() {
                let last = path.last().map(String::as_str).unwrap_or_default();
                if last == start.name {
                    cycles.push((start, i, path));
                    break 'imports;
                }
                if !seen.insert(last.to_string()) {
                    continue;
                }
                for (next, ..) in library(last).map_or(&[][..], |p| &p.imports[..]) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    cycles
}

fn io_problem(path: &Path, error: &std::io::Error) -> Problem {
    Problem::unreadable(path, format!("cannot read: {error}"), None)
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

fn is_labels(relative: &str) -> bool {
    relative.ends_with("/labels.yaml") || relative.ends_with("/labels.yml")
}

/// A minijinja template of the site folder, from the binary or a layer.
#[derive(Debug, Clone)]
pub struct Template {
    /// Its text.
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
}

/// The loaded knowledge: one registry that feeds every command.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// Every catalog entry.
    pub catalog: Catalog,
    /// Labels that introduce codes and hosts.
    pub labels: Labels,
    /// Every valid rule, in load order.
    pub rules: Vec<Rule>,
    /// Every probe script that compiles, sorted by name.
    pub probes: Vec<ProbeScript>,
    /// Templates by path under `site/` (`report/diagnosis.md.j2`): the embedded ones, replaced
    /// by a layer's file of the same path.
    pub templates: IndexMap<String, Template>,
    /// What explains what: the rules that name each catalog entry in their `codes`.
    pub explains: Explains,
    /// Replacements and other facts about loading.
    pub notices: Vec<Notice>,
    /// Files or entries that were left out, and why.
    pub problems: Vec<Problem>,
}

impl Knowledge {
    /// The embedded knowledge alone.
    pub fn embedded() -> Knowledge {
        Knowledge::load(&[Layer::embedded()])
    }

    /// Loads `layers`, lowest precedence first.
    pub fn load(layers: &[Layer]) -> Knowledge {
        Knowledge::load_inspected(layers, &mut |_, _, _| {})
    }

    /// Loads `layers` and hands every rule and catalog file, as parsed, to `inspect`: the
    /// checks of `rules check` read the same typed values and positions as the load, so each
    /// file is parsed once, and files that fail validation for another reason are still seen.
    pub(crate) fn load_inspected(layers: &[Layer], inspect: Inspector<'_>) -> Knowledge {
        let mut knowledge = Knowledge::default();
        let mut texts = Vec::new();
        let mut rules: IndexMap<String, Rule> = IndexMap::new();
        let mut probes: IndexMap<String, ProbeScript> = IndexMap::new();
        for layer in layers {
            knowledge.problems.extend(layer.problems.iter().cloned());
            let (template_files, files): (Vec<&SourceFile>, Vec<&SourceFile>) =
                layer.files.iter().partition(|f| is_template(&f.relative));
            for file in template_files {
                knowledge.load_template_file(file);
            }
            let (probe_files, files): (Vec<&SourceFile>, Vec<&SourceFile>) =
                files.into_iter().partition(|f| is_probe(&f.relative));
            for file in probe_files {
                knowledge.load_probe_file(file, &mut probes);
            }
            let (catalog_files, rule_files): (Vec<&SourceFile>, Vec<&SourceFile>) = files
                .into_iter()
                .partition(|f| f.relative.starts_with("catalog/"));
            for file in catalog_files {
                knowledge.load_catalog_file(file, inspect, &mut texts);
            }
            let mut layer_ids = HashSet::new();
            for file in rule_files {
                let Some(rule) = knowledge.load_rule_file(file, inspect) else {
                    continue;
                };
                if !layer_ids.insert(rule.id.clone()) {
                    let first = rules.get(&rule.id).map(|r| r.origin.to_string());
                    knowledge.problems.push(Problem::new(
                        ProblemKind::Duplicate,
                        file,
                        Some(Position { line: 1, column: 1 }),
                        format!(
                            "duplicate rule id `{}` (also in {})",
                            rule.id,
                            first.unwrap_or_default()
                        ),
                    ));
                    continue;
                }
                if let Some(old) = rules.get(&rule.id) {
                    knowledge.notices.push(Notice {
                        message: format!(
                            "rule `{}` from {} replaces the one from {}",
                            rule.id, rule.origin, old.origin
                        ),
                    });
                }
                rules.insert(rule.id.clone(), rule);
            }
        }
        // Texts are added once every layer's entries are known, so a translation may name an
        // entry of a lower layer or of a file read after it.
        for text in texts {
            if !knowledge
                .catalog
                .add_text(&text.key, &text.lang, &text.text)
            {
                knowledge.problems.push(Problem {
                    kind: ProblemKind::Reference,
                    origin: text.origin,
                    line: text.position.map(|p| p.line),
                    column: text.position.map(|p| p.column),
                    message: format!("text for `{}`, which no catalog entry has", text.key),
                    hint: Some(
                        "`entry` is the code (0x904) or id of an entry of the file's family".into(),
                    ),
                });
            }
        }
        knowledge.rules = rules.into_values().collect();
        probes.sort_keys();
        knowledge.probes = probes.into_values().collect();
        knowledge.check_references(layers);
        knowledge.explains = Explains::new(&knowledge.catalog, &knowledge.rules);
        knowledge
    }

    /// The rules that explain `entry` (name it in their `codes`), in load order.
    pub fn rules_explaining(&self, entry: &CatalogEntry) -> impl Iterator<Item = &Rule> {
        let rules = self
            .catalog
            .index_of(&entry.key())
            .map_or(&[][..], |e| self.explains.rules_of(e));
        rules.iter().map(|&r| &self.rules[r])
    }

    /// Reads a probe script: its name is the file stem; one that does not compile is left out.
    fn load_probe_file(&mut self, file: &SourceFile, probes: &mut IndexMap<String, ProbeScript>) {
        let name = file
            .relative
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".rhai"))
            .unwrap_or_default();
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            self.problems.push(
                Problem::new(
                    ProblemKind::Value,
                    file,
                    None,
                    format!("probe name `{name}` is not snake_case"),
                )
                .with_hint(Some("name probe files like `tls_certificate.rhai`".into())),
            );
            return;
        }
        #[cfg(feature = "probe")]
        if let Err((message, line, column)) = crate::sandbox::compile(&file.text) {
            let position = line.map(|line| Position {
                line,
                column: column.unwrap_or(1),
            });
            self.problems.push(Problem::new(
                ProblemKind::Script,
                file,
                position,
                format!("probe script does not compile: {message}"),
            ));
            return;
        }
        let library = file.relative.starts_with("probes/lib/");
        let script = ProbeScript::new(name, file.text.clone(), file.origin.clone(), library);
        let key = if library {
            format!("lib/{name}")
        } else {
            name.to_string()
        };
        if let Some(old) = probes.get(&key) {
            self.notices.push(Notice {
                message: format!(
                    "probe `{name}` from {} replaces the one from {}",
                    script.origin, old.origin
                ),
            });
        }
        probes.insert(key, script);
    }

    /// Reads a template; one that does not parse is reported and the previous one is kept.
    fn load_template_file(&mut self, file: &SourceFile) {
        let name = file.relative.trim_start_matches("site/").to_string();
        #[cfg(feature = "cli")]
        if let Err(error) = minijinja::Environment::new().template_from_str(&file.text) {
            let position = error.line().map(|line| Position { line, column: 1 });
            self.problems.push(Problem::new(
                ProblemKind::Template,
                file,
                position,
                format!(
                    "template does not parse: {}",
                    error.detail().unwrap_or("syntax error")
                ),
            ));
            return;
        }
        let template = Template {
            text: file.text.clone(),
            origin: file.origin.clone(),
        };
        if let Some(old) = self.templates.get(&name) {
            self.notices.push(Notice {
                message: format!(
                    "template `{name}` from {} replaces the one from {}",
                    template.origin, old.origin
                ),
            });
        }
        self.templates.insert(name, template);
    }

    /// The template at this path under `site/`.
    pub fn template(&self, name: &str) -> Option<&str> {
        self.templates.get(name).map(|t| t.text.as_str())
    }

    /// The probe script with this name (not a library).
    pub fn probe(&self, name: &str) -> Option<&ProbeScript> {
        self.probes.iter().find(|p| p.name == name && !p.library)
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    fn load_catalog_file(
        &mut self,
        file: &SourceFile,
        inspect: Inspector<'_>,
        texts: &mut Vec<PendingText>,
    ) {
        if is_labels(&file.relative) {
            match parse_file::<labels::LabelsFile>(file) {
                Ok((labels, _)) => self.labels.add_file(labels),
                Err(error) => self.problems.push(yaml_problem(file, error)),
            }
            return;
        }
        let (parsed, index) = match parse_file::<codes::CatalogFile>(file) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.problems.push(yaml_problem(file, error));
                return;
            }
        };
        inspect(file, Parsed::Catalog(&parsed), &index);
        for (i, text) in parsed.texts.iter().enumerate() {
            let entry = match Code::parse(&text.entry) {
                Some(code) => code.to_string(),
                None => text.entry.clone(),
            };
            texts.push(PendingText {
                key: format!("{}:{entry}", parsed.family.prefix()),
                lang: text.lang.clone(),
                text: text.text.clone(),
                origin: file.origin.clone(),
                position: index.locate(&format!("texts[{i}].entry")),
            });
        }
        for (i, entry) in parsed.entries.into_iter().enumerate() {
            let path = format!("entries[{i}]");
            let code = match &entry.code {
                Some(text) => match Code::parse(text) {
                    Some(code) => Some(code),
                    None => {
                        self.problems.push(Problem::new(
                            ProblemKind::Value,
                            file,
                            index.locate(&format!("{path}.code")),
                            format!("`{text}` is not a code (write hex like 0x904)"),
                        ));
                        continue;
                    }
                },
                None => None,
            };
            if code.is_none() && entry.id.is_none() {
                self.problems.push(Problem::new(
                    ProblemKind::Value,
                    file,
                    index.locate(&path),
                    "entry has neither `code` nor `id`",
                ));
                continue;
            }
            if !entry.providers.is_empty() && parsed.family != Family::EventId {
                self.problems.push(Problem::new(
                    ProblemKind::Value,
                    file,
                    index.locate(&path),
                    "`providers` is only for event IDs (family `event_id`)",
                ));
            }
            let entry = CatalogEntry {
                family: parsed.family,
                code,
                id: entry.id,
                symbol: entry.symbol,
                name: entry.name,
                meaning: entry.meaning,
                aliases: entry.aliases,
                messages: entry.messages,
                note: entry.note,
                category: entry.category,
                check_first: entry.check_first,
                providers: entry.providers,
                references: entry.references,
                origin: file.origin.clone(),
            };
            let key = entry.key();
            let origin = entry.origin.clone();
            if let Some(old) = self.catalog.insert(entry) {
                if old.origin == origin {
                    self.problems.push(Problem::new(
                        ProblemKind::Duplicate,
                        file,
                        index.locate(&path),
                        format!("duplicate catalog entry `{key}`"),
                    ));
                } else {
                    self.notices.push(Notice {
                        message: format!(
                            "catalog entry `{key}` from {origin} replaces the one from {}",
                            old.origin
                        ),
                    });
                }
            }
        }
    }

    fn load_rule_file(&mut self, file: &SourceFile, inspect: Inspector<'_>) -> Option<Rule> {
        let (parsed, index) = match parse_file::<rules::RuleFile>(file) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.problems.push(yaml_problem(file, error));
                return None;
            }
        };
        inspect(file, Parsed::Rule(&parsed), &index);
        let mut problems = Vec::new();
        let rule = validate_rule(file, parsed, &index, &mut problems);
        let ok = problems.is_empty();
        self.problems.extend(problems);
        rule.filter(|_| ok)
    }

    /// Reports references to what does not exist: probes a probe needs, and probes, catalog
    /// messages and codes a rule names, each at its place in its file.
    fn check_references(&mut self, layers: &[Layer]) {
        let mut problems = Vec::new();
        let file_of = |origin: &Origin| source_file(layers, origin);
        let problem_at = |origin: &Origin, path: &str, message: String| match file_of(origin) {
            Some(file) => Problem::new(
                ProblemKind::Reference,
                file,
                LazyIndex::new(&file.text).locate(path),
                message,
            ),
            None => Problem {
                kind: ProblemKind::Reference,
                origin: origin.clone(),
                line: None,
                column: None,
                message,
                hint: None,
            },
        };
        let probe_names: Vec<&str> = self
            .probes
            .iter()
            .filter(|p| !p.library)
            .map(|p| p.name.as_str())
            .collect();
        for script in &self.probes {
            for need in &script.needs {
                if probe_names.contains(&need.as_str()) {
                    continue;
                }
                let message = format!(
                    "probe `{}` needs `{need}`, which does not exist",
                    script.name
                );
                let position = script.source.lines().enumerate().find_map(|(n, line)| {
                    let column = line.find("needs:")?;
                    let at = line[column..].find(need.as_str())? + column;
                    Some(Position {
                        line: n + 1,
                        column: at + 1,
                    })
                });
                let mut problem = match file_of(&script.origin) {
                    Some(file) => Problem::new(ProblemKind::Reference, file, position, message),
                    None => problem_at(&script.origin, "", message),
                };
                problem.hint = suggest(need, &probe_names).map(|s| format!("did you mean `{s}`?"));
                problems.push(problem);
            }
        }
        for (script, import, cycle) in import_cycles(&self.probes) {
            let (_, line, column) = &script.imports[import];
            let message = format!(
                "probe library `{}` imports itself ({}): the import would never end",
                script.name,
                cycle.join(" -> ")
            );
            let position = Some(Position {
                line: *line,
                column: *column,
            });
            let mut problem = match file_of(&script.origin) {
                Some(file) => Problem::new(ProblemKind::Reference, file, position, message),
                None => problem_at(&script.origin, "", message),
            };
            problem.hint = Some("a probe library may import others, but never back".into());
            problems.push(problem);
        }
        for (name, template) in &self.templates {
            for (n, line) in template.text.lines().enumerate() {
                for reference in template_references(line) {
                    if self.templates.contains_key(reference) {
                        continue;
                    }
                    let column = line.find(reference).map_or(1, |c| c + 1);
                    let message =
                        format!("template `{name}` refers to `{reference}`, which does not exist");
                    let mut problem = match file_of(&template.origin) {
                        Some(file) => Problem::new(
                            ProblemKind::Reference,
                            file,
                            Some(Position {
                                line: n + 1,
                                column,
                            }),
                            message,
                        ),
                        None => problem_at(&template.origin, "", message),
                    };
                    let names: Vec<&str> = self.templates.keys().map(String::as_str).collect();
                    problem.hint =
                        suggest(reference, &names).map(|s| format!("did you mean `{s}`?"));
                    problems.push(problem);
                }
            }
        }
        for rule in &self.rules {
            // Without the probe feature (the engine in the browser) no probe is loaded.
            #[cfg(feature = "probe")]
            for (i, check) in rule.probes.iter().enumerate() {
                if probe_names.contains(&check.probe.as_str()) {
                    continue;
                }
                let message = format!(
                    "rule `{}` names the probe `{}`, which does not exist",
                    rule.id, check.probe
                );
                let hint = suggest(&check.probe, &probe_names)
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("one of: {}", probe_names.join(", "))));
                problems.push(
                    problem_at(&rule.origin, &format!("probes[{i}].probe"), message)
                        .with_hint(hint),
                );
            }
            let mut named: Vec<(String, &CodeRef)> = rule
                .codes
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("codes[{i}]"), c))
                .collect();
            for (j, signature) in rule.signatures.iter().enumerate() {
                match &signature.pattern {
                    Pattern::Codes(codes) => named.extend(
                        codes
                            .iter()
                            .enumerate()
                            .map(|(k, c)| (format!("signatures[{j}].codes[{k}]"), c)),
                    ),
                    Pattern::Message(key) if self.catalog.by_key(key).is_none() => {
                        let message = format!(
                            "rule `{}` names message `{key}`, which the catalog does not define",
                            rule.id
                        );
                        problems.push(
                            problem_at(&rule.origin, &format!("signatures[{j}].message"), message)
                                .with_hint(Some(
                                    "use a catalog key such as `other:identity-warning` or `disconnect:0x204`"
                                        .into(),
                                )),
                        );
                    }
                    _ => {}
                }
            }
            for (path, code_ref) in named {
                let known = match code_ref.family {
                    Some(family) => self.catalog.defines(family, code_ref.code),
                    None => !self.catalog.readings(code_ref.code).is_empty(),
                };
                if !known {
                    let message = format!(
                        "rule `{}` names `{code_ref}`, which the catalog does not define",
                        rule.id
                    );
                    problems
                        .push(problem_at(&rule.origin, &path, message).with_hint(Some(
                            "add a catalog entry or fix the family prefix".into(),
                        )));
                }
            }
        }
        self.problems.extend(problems);
    }
}

/// The file of `layers` that `origin` names.
pub(crate) fn source_file<'l>(layers: &'l [Layer], origin: &Origin) -> Option<&'l SourceFile> {
    layers
        .iter()
        .flat_map(|l| &l.files)
        .find(|f| &f.origin == origin)
}

/// The template names a line includes, extends or imports (`{% include "x.j2" %}`).
fn template_references(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{%") {
        let after = &rest[start + 2..];
        let end = after.find("%}").unwrap_or(after.len());
        let tag = after[..end].trim_start_matches('-').trim();
        let keyword = tag.split_whitespace().next().unwrap_or_default();
        if matches!(keyword, "include" | "extends" | "import" | "from") {
            let quoted = tag[keyword.len()..].trim_start();
            if let Some(q) = quoted.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if let Some(len) = quoted[1..].find(q) {
                    found.push(&quoted[1..1 + len]);
                }
            }
        }
        rest = &after[end..];
    }
    found
}

/// A catalog text waiting for every entry to be loaded: the entry's key, the text, its place.
struct PendingText {
    key: String,
    lang: String,
    text: String,
    origin: Origin,
    position: Option<Position>,
}

/// A knowledge file as the loader parsed it, for [`Knowledge::load_inspected`].
// Only `rules check` (the `cli` feature) reads the files it is handed.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) enum Parsed<'a> {
    /// A rule file.
    Rule(&'a rules::RuleFile),
    /// A catalog file (not the labels).
    Catalog(&'a codes::CatalogFile),
}

/// What sees each parsed file during a load: the file, its typed values, its positions.
pub(crate) type Inspector<'i> = &'i mut dyn FnMut(&SourceFile, Parsed<'_>, &LazyIndex<'_>);

/// Reads a knowledge file: the build-time JSON form when there is one, else the YAML text.
fn parse_file<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
) -> Result<(T, LazyIndex<'_>), yaml::YamlError> {
    if let Some(json) = &file.precompiled {
        if let Ok(value) = serde_json::from_str::<T>(json) {
            return Ok((value, LazyIndex::new(&file.text)));
        }
    }
    yaml::parse(&file.text)
}

fn yaml_problem(file: &SourceFile, error: yaml::YamlError) -> Problem {
    let hint = unknown_field_hint(&error.message).or_else(|| {
        error
            .message
            .contains("while scanning a quoted scalar")
            .then(|| "a quote opened there is never closed".to_string())
    });
    Problem::new(ProblemKind::Yaml, file, error.position, error.message).with_hint(hint)
}

/// "did you mean `weight`?" for serde's "unknown field `weigth`, expected one of ..." errors.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    suggest(field, &expected).map(|s| format!("did you mean `{s}`?"))
}

/// The candidate closest to `word`, when one is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn validate_rule(
    file: &SourceFile,
    parsed: rules::RuleFile,
    index: &LazyIndex<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let at = |path: &str| index.locate(path);
    let id_ok = !parsed.id.is_empty()
        && parsed
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        problems.push(Problem::new(
            ProblemKind::Value,
            file,
            at("id"),
            format!("rule id `{}` is not kebab-case", parsed.id),
        ));
    }
    let stem = file
        .relative
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.').map(|(stem, _)| stem))
        .unwrap_or_default();
    if stem != parsed.id {
        problems.push(
            Problem::new(
                ProblemKind::Value,
                file,
                at("id"),
                format!(
                    "rule id `{}` differs from the file name `{stem}`",
                    parsed.id
                ),
            )
            .with_hint(Some(format!("rename the file to {}.yaml", parsed.id))),
        );
    }
    let category = match parsed.category.parse::<Category>() {
        Ok(category) => Some(category),
        Err(_) => {
            let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            let hint = suggest(&parsed.category, &names)
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some(format!("one of: {}", names.join(", "))));
            problems.push(
                Problem::new(
                    ProblemKind::Value,
                    file,
                    at("category"),
                    format!("unknown category `{}`", parsed.category),
                )
                .with_hint(hint),
            );
            None
        }
    };
    let mut codes = Vec::new();
    for (i, text) in parsed.codes.iter().enumerate() {
        match text.parse::<CodeRef>() {
            Ok(code) => codes.push(code),
            Err(message) => problems.push(Problem::new(
                ProblemKind::Value,
                file,
                at(&format!("codes[{i}]")),
                message,
            )),
        }
    }
    if parsed.signatures.is_empty() {
        problems.push(Problem::new(
            ProblemKind::Value,
            file,
            at("signatures"),
            "a rule needs at least one signature",
        ));
    }
    let mut signatures = Vec::new();
    for (i, signature) in parsed.signatures.into_iter().enumerate() {
        let path = format!("signatures[{i}]");
        if let Some(signature) = validate_signature(file, signature, &path, index, problems) {
            signatures.push(signature);
        }
    }
    for (i, step) in parsed.steps.iter().enumerate() {
        for kind in step.commands.keys() {
            if !COMMAND_KINDS.contains(&kind.as_str()) {
                let hint = suggest(kind, COMMAND_KINDS)
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("one of: {}", COMMAND_KINDS.join(", "))));
                problems.push(
                    Problem::new(
                        ProblemKind::Value,
                        file,
                        at(&format!("steps[{i}].commands.{kind}")),
                        format!("unknown command kind `{kind}`"),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
    for (i, check) in parsed.probes.iter().enumerate() {
        if check.confirms_when.is_none() && check.refutes_when.is_none() {
            problems.push(
                Problem::new(
                    ProblemKind::Value,
                    file,
                    at(&format!("probes[{i}]")),
                    format!(
                        "probe check `{}` has neither `confirms_when` nor `refutes_when`",
                        check.probe
                    ),
                )
                .with_hint(Some(
                    "add an expression over the probe's facts, e.g. `confirms_when: \"expired\"`"
                        .into(),
                )),
            );
        }
        // Without the probe feature (the engine in the browser) expressions are never run.
        #[cfg(feature = "probe")]
        for (field, expression) in [
            ("confirms_when", &check.confirms_when),
            ("refutes_when", &check.refutes_when),
        ] {
            let Some(expression) = expression else {
                continue;
            };
            if let Err((message, _, _)) = crate::sandbox::compile_expression(expression) {
                problems.push(Problem::new(
                    ProblemKind::Script,
                    file,
                    at(&format!("probes[{i}].{field}")),
                    format!("`{field}` is not a valid expression: {message}"),
                ));
            }
        }
    }
    Some(Rule {
        id: parsed.id,
        title: parsed.title,
        category: category?,
        summary: parsed.summary,
        codes,
        signatures,
        probes: parsed.probes,
        causes: parsed.causes,
        steps: parsed.steps,
        references: parsed.references,
        examples: parsed.examples,
        counter_examples: parsed.counter_examples,
        origin: file.origin.clone(),
    })
}

fn validate_signature(
    file: &SourceFile,
    signature: rules::SignatureFile,
    path: &str,
    index: &LazyIndex<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Signature> {
    if !signature.weight.is_finite() || signature.weight == 0.0 {
        problems.push(Problem::new(
            ProblemKind::Value,
            file,
            index.locate(&format!("{path}.weight")),
            "weight must be a non-zero number",
        ));
    }
    let pattern = match (
        signature.codes,
        signature.text,
        signature.regex,
        signature.message,
    ) {
        (None, None, None, Some(key)) => Pattern::Message(key.trim().to_string()),
        (Some(texts), None, None, None) => {
            if texts.is_empty() {
                problems.push(Problem::new(
                    ProblemKind::Value,
                    file,
                    index.locate(&format!("{path}.codes")),
                    "`codes` is empty",
                ));
                return None;
            }
            let mut codes = Vec::new();
            for (i, text) in texts.iter().enumerate() {
                match text.parse::<CodeRef>() {
                    Ok(code) => codes.push(code),
                    Err(message) => problems.push(Problem::new(
                        ProblemKind::Value,
                        file,
                        index.locate(&format!("{path}.codes[{i}]")),
                        message,
                    )),
                }
            }
            Pattern::Codes(codes)
        }
        (None, Some(text), None, None) => {
            if text.trim().chars().count() < 3 {
                problems.push(Problem::new(
                    ProblemKind::Value,
                    file,
                    index.locate(&format!("{path}.text")),
                    "`text` is too short to be evidence (3 characters at least)",
                ));
                return None;
            }
            Pattern::Text(text)
        }
        (None, None, Some(source), None) => {
            if file.precompiled.is_some() && matches!(file.origin, Origin::Embedded(_)) {
                // Embedded: checked when the binary was built and by the test suite; compiled
                // on first use.
                let words = embedded_required_words(&source);
                Pattern::Regex(RegexSignature::new(source, words))
            } else {
                match crate::rule_regex::parse(&source) {
                    Ok(()) => {
                        let words = crate::rule_regex::required_words(&source);
                        Pattern::Regex(RegexSignature::new(source, words))
                    }
                    Err(reason) => {
                        problems.push(Problem::new(
                            ProblemKind::Regex,
                            file,
                            index.locate(&format!("{path}.regex")),
                            format!("regex does not compile: {reason}"),
                        ));
                        return None;
                    }
                }
            }
        }
        _ => {
            problems.push(Problem::new(
                ProblemKind::Value,
                file,
                index.locate(path),
                "a signature has exactly one of `codes`, `text`, `regex` or `message`",
            ));
            return None;
        }
    };
    Some(Signature {
        pattern,
        weight: signature.weight,
        lang: signature.lang,
    })
}
