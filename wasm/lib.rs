//! rdp-doctor's engine in the browser: the website's paste box loads the knowledge the site
//! exported and diagnoses pastes with the same extraction and ranking code as the command line.
//!
//! The module has no bindings generator: JavaScript calls these exports with byte buffers.
//!
//! 1. `alloc(len)` reserves `len` bytes and returns where; the page writes UTF-8 there.
//! 2. `load(ptr, len)` takes those bytes (a [`Bundle`] as JSON) and builds the engine;
//!    `diagnose(ptr, len)` takes a paste, `redact(ptr, len)` a paste to hide names in. Each
//!    returns 0 on success and 1 on failure, and leaves a JSON answer (or an error message)
//!    that `output_ptr()` and `output_len()` point to until the next call.
//!
//! `load` answers `{"rules": n, "entries": n, "problems": [..]}`; `diagnose` answers
//! `{"codes", "messages", "hosts", "candidates", "truncated"}` (see [`diagnosis`]), `redact`
//! `{"text", "hidden"}`.

use std::cell::RefCell;

use rdp_doctor::catalog::{Bundle, Category, Knowledge};
use rdp_doctor::extract::{Extraction, Extractor};
use rdp_doctor::matcher::{Candidate, Matcher, Meaning};
use rdp_doctor::ranking::Ranking;
use rdp_doctor::redact::Redactor;
use rdp_doctor::related::{Related, RelatedRule};
use serde_json::{Value, json};

/// The longest paste diagnosed, in characters; the rest is cut off and `truncated` is set.
pub const MAX_PASTE_CHARS: usize = 2_000_000;

/// The loaded knowledge with the automata built from it, kept for the life of the page.
struct Engine {
    knowledge: &'static Knowledge,
    extractor: Extractor<'static>,
    matcher: Matcher<'static>,
    related: Related,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Reserves `len` bytes for the caller to fill; `load` and `diagnose` take them back.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Takes back a buffer from [`alloc`] that holds `len` bytes, as text.
///
/// # Safety
/// `ptr` and `len` must be a buffer [`alloc`] returned for `len` bytes, filled by the caller.
unsafe fn take(ptr: *mut u8, len: usize) -> String {
    // SAFETY: the caller passes a buffer of capacity max(len, 1) from `alloc`, `len` of it
    // written; ownership returns here exactly once.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len.max(1)) };
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

fn answer(result: Result<Value, String>) -> u32 {
    let (code, text) = match result {
        Ok(value) => (0, value.to_string()),
        Err(message) => (1, message),
    };
    OUTPUT.with(|out| *out.borrow_mut() = text);
    code
}

/// Loads a knowledge [`Bundle`] (JSON), replacing any loaded before.
///
/// # Safety
/// `ptr` and `len` must come from [`alloc`] as described there.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn load(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let text = unsafe { take(ptr, len) };
    answer(load_bundle(&text))
}

/// Diagnoses a paste (UTF-8) with the loaded knowledge.
///
/// # Safety
/// `ptr` and `len` must come from [`alloc`] as described there.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn diagnose(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let text = unsafe { take(ptr, len) };
    answer(ENGINE.with(|engine| match &*engine.borrow() {
        Some(engine) => Ok(diagnosis(engine, &text)),
        None => Err("no knowledge is loaded".to_string()),
    }))
}

/// Redacts a paste (UTF-8) for a share link: its host names, addresses, user and domain names
/// and e-mail addresses become placeholders (`host-1`, `ip-1`, ...). Answers
/// `{"text", "hidden"}`: the redacted paste and how many distinct values were hidden.
///
/// # Safety
/// `ptr` and `len` must come from [`alloc`] as described there.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn redact(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let text = unsafe { take(ptr, len) };
    answer(ENGINE.with(|engine| match &*engine.borrow() {
        Some(engine) => {
            let (text, _) = within_limit(&text);
            let extraction = engine.extractor.extract(text);
            let redactor = Redactor::for_paste(text, &extraction);
            Ok(json!({ "text": redactor.apply(text), "hidden": redactor.len() }))
        }
        None => Err("no knowledge is loaded".to_string()),
    }))
}

/// Where the last answer starts.
#[unsafe(no_mangle)]
pub extern "C" fn output_ptr() -> *const u8 {
    OUTPUT.with(|out| out.borrow().as_ptr())
}

/// The last answer's length in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with(|out| out.borrow().len())
}

fn load_bundle(text: &str) -> Result<Value, String> {
    let bundle: Bundle =
        serde_json::from_str(text).map_err(|e| format!("the knowledge does not read: {e}"))?;
    if bundle.version != Bundle::VERSION {
        return Err(format!(
            "the knowledge has layout {}, this engine reads layout {}",
            bundle.version,
            Bundle::VERSION
        ));
    }
    // The page keeps one engine for its life; a second load leaks the first knowledge, which
    // only a page that reloads its knowledge would do.
    let knowledge: &'static Knowledge = Box::leak(Box::new(Knowledge::load(&bundle.into_layers())));
    let engine = Engine {
        knowledge,
        extractor: Extractor::new(knowledge),
        matcher: Matcher::new(knowledge),
        related: Related::new(knowledge),
    };
    let summary = json!({
        "rules": knowledge.rules.len(),
        "entries": knowledge.catalog.entries().len(),
        "problems": knowledge.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    });
    ENGINE.with(|slot| *slot.borrow_mut() = Some(engine));
    Ok(summary)
}

/// The paste cut to [`MAX_PASTE_CHARS`], and whether it was cut.
fn within_limit(text: &str) -> (&str, bool) {
    match text.char_indices().nth(MAX_PASTE_CHARS) {
        Some((cut, _)) => (&text[..cut], true),
        None => (text, false),
    }
}

/// The answer to one paste: the codes, messages and hosts found, and the ranked candidates
/// with their evidence and the words of the paste behind it.
fn diagnosis(engine: &Engine, text: &str) -> Value {
    let (text, truncated) = within_limit(text);
    let extraction = engine.extractor.extract(text);
    let candidates = engine.matcher.rank(&extraction, text);
    let ranking = Ranking::complete(engine.knowledge, &extraction, text, candidates, || {
        &engine.related
    });
    json!({
        "codes": codes(&extraction),
        "messages": extraction.messages.iter().map(|m| json!({
            "key": m.key,
            "name": m.name,
            "lang": m.lang,
            "coverage": m.coverage,
        })).collect::<Vec<_>>(),
        "hosts": extraction.hosts.iter().map(|h| &h.host).collect::<Vec<_>>(),
        "candidates": ranking
            .candidates
            .iter()
            .map(|c| candidate(engine.knowledge, c, text))
            .chain(ranking.meanings.iter().map(|m| meaning(engine.knowledge, m, text)))
            .chain(ranking.related.iter().map(|r| related_rule(engine.knowledge, r)))
            .collect::<Vec<_>>(),
        "truncated": truncated,
    })
}

fn codes(extraction: &Extraction) -> Vec<Value> {
    extraction
        .codes
        .iter()
        .map(|c| {
            json!({
                "code": c.code,
                "role": c.role,
                "family": c.family(),
                "readings": c.readings,
                "name": c.name,
                "written": c.written,
                "aliases": c.aliases,
                "label": c.label,
                "occurrences": c.occurrences,
            })
        })
        .collect()
}

fn candidate(knowledge: &Knowledge, candidate: &Candidate, text: &str) -> Value {
    let rule = &knowledge.rules[candidate.rule];
    json!({
        "kind": "rule",
        "id": rule.id,
        "path": rdp_doctor::model::rule_path(&rule.id),
        "title": rule.title,
        "category": rule.category,
        "raw": candidate.raw,
        "score": candidate.score,
        "evidence": candidate.evidence.iter().map(|e| json!({
            "description": e.description,
            "weight": e.weight,
            "excerpts": e.spans.iter().map(|s| s.slice(text)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A catalog meaning, shaped as a candidate: ranked after the rules, linking to its code page.
fn meaning(knowledge: &Knowledge, meaning: &Meaning, text: &str) -> Value {
    let entry = &knowledge.catalog.entries()[meaning.entry];
    json!({
        "kind": "catalog",
        "id": entry.key(),
        "path": rdp_doctor::model::code_path(entry),
        "title": entry.title(),
        "summary": entry.meaning.trim(),
        "category": entry.category.unwrap_or(Category::Other),
        "raw": meaning.raw,
        "score": meaning.score,
        "evidence": meaning.evidence.iter().map(|named| json!({
            "description": named.description,
            "weight": meaning.raw,
            "excerpts": named.spans.iter().map(|s| s.slice(text)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A possibly related rule, shaped as a candidate: little was recognised, words are shared.
fn related_rule(knowledge: &Knowledge, related: &RelatedRule) -> Value {
    let rule = &knowledge.rules[related.rule];
    json!({
        "kind": "related",
        "id": rule.id,
        "path": rdp_doctor::model::rule_path(&rule.id),
        "title": rule.title,
        "category": rule.category,
        "raw": 0.0,
        "score": related.score,
        "evidence": [json!({
            "description": format!("possibly related: shares the words {}", related.words.join(", ")),
            "weight": 0.0,
            "excerpts": [],
        })],
    })
}
