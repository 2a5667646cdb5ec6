//! Scores every rule's signatures against an extraction and ranks the candidate causes.
//!
//! Scoring, in full: a rule's raw score is the sum of the weights of its signatures that
//! match (negative weights count against it). A rule is a candidate when its raw score is
//! above zero. Candidates are ranked by raw score, then by specificity: more matched
//! signatures first, then more codes matched, then longer matched text, then rule id. The
//! confidence shown is `1 - 0.5^(raw / 3)`: evidence worth 3 gives 0.5, 6 gives 0.75, 9 gives
//! 0.875, so it grows with evidence and never reaches 1.

use std::collections::HashMap;

use serde::Serialize;

use crate::catalog::{Category, CodeRef, Knowledge, Pattern, Rule};
use crate::extract::{Extraction, Extractor, FoundCode, Role, Span, fold};
use crate::search::{ApproximatePhrases, PhraseSet};

/// How many places are kept per matched signature.
const MAX_SPANS: usize = 8;

/// The raw score at which confidence reaches one half.
const HALF_CONFIDENCE: f64 = 3.0;

/// One matched signature and the words of the paste that matched it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Index of the signature in its rule.
    pub signature: usize,
    /// What the signature looks for (`codes disconnect:0x904 + extended:0x7`).
    pub description: String,
    /// The signature's weight.
    pub weight: f64,
    /// Where it matched in the paste.
    pub spans: Vec<Span>,
}

/// A rule whose signatures matched, with its score and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Index of the rule in [`Knowledge::rules`].
    pub rule: usize,
    /// Sum of matched signature weights.
    pub raw: f64,
    /// Confidence between 0 and 1 (see the module documentation).
    pub score: f64,
    /// Every matched signature.
    pub evidence: Vec<Evidence>,
    /// What the rule's probes said (empty until probes ran).
    pub probes: Vec<crate::model::probe::ProbeVerdict>,
}

impl Candidate {
    fn specificity(&self, rules: &[Rule]) -> (usize, usize, usize) {
        let rule = &rules[self.rule];
        let positive = self.evidence.iter().filter(|e| e.weight > 0.0).count();
        let codes = self
            .evidence
            .iter()
            .map(|e| match &rule.signatures[e.signature].pattern {
                Pattern::Codes(codes) => codes.len(),
                _ => 0,
            })
            .sum();
        let text: usize = self
            .evidence
            .iter()
            .flat_map(|e| e.spans.first())
            .map(|s| s.end - s.start)
            .sum();
        (positive, codes, text)
    }

    /// How many of its probes confirmed it on a failing check, and how many confirmed it.
    fn probe_findings(&self) -> (usize, usize) {
        let confirmed = self.probes.iter().filter(|v| v.verdict == "confirmed");
        let failing = confirmed
            .clone()
            .filter(|v| v.status == crate::model::probe::Status::Fail)
            .count();
        (failing, confirmed.count())
    }
}

/// The confidence shown for a raw score.
pub fn confidence(raw: f64) -> f64 {
    let value = 1.0 - 0.5f64.powf(raw.max(0.0) / HALF_CONFIDENCE);
    (value * 100.0).round() / 100.0
}

/// Orders candidates best first: raw score, then specificity, then rule id.
pub fn sort_candidates(candidates: &mut [Candidate], rules: &[Rule]) {
    sort_candidates_by(candidates, rules, |_| 0);
}

/// Orders candidates best first by evidence, the rule id only where the evidence is the same:
/// raw score; then how much of the paste names it (signatures, codes, words); then how many of
/// its probes found the fault it explains; then `depth`, lower first (the connection step
/// where that fault shows: a negotiation failure before a certificate problem).
pub fn sort_candidates_by(
    candidates: &mut [Candidate],
    rules: &[Rule],
    depth: impl Fn(&Candidate) -> usize,
) {
    candidates.sort_by(|a, b| {
        b.raw
            .total_cmp(&a.raw)
            .then_with(|| b.specificity(rules).cmp(&a.specificity(rules)))
            .then_with(|| b.probe_findings().cmp(&a.probe_findings()))
            .then_with(|| depth(a).cmp(&depth(b)))
            .then_with(|| rules[a.rule].id.cmp(&rules[b.rule].id))
    });
}

/// A catalog entry the paste names (by code, symbol or message) that no ranked rule explains:
/// its meaning is a candidate of its own, ranked after every rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meaning {
    /// Index of the entry in the catalog.
    pub entry: usize,
    /// How strongly the paste names it: 1 for a main code, a symbol or a whole message, less
    /// for an extended code, a status, an event ID, a partial message or a number read without
    /// a label.
    pub raw: f64,
    /// Confidence between 0 and 1, from `raw` as for rules (a meaning is weak evidence).
    pub score: f64,
    /// What named it and where.
    pub evidence: Vec<Named>,
}

/// How a paste names a catalog entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    /// `code 0x904 (client disconnect reason)`, `message (de)`, `symbol`.
    pub description: String,
    /// Where in the paste.
    pub spans: Vec<Span>,
}

/// At most this many meanings are listed after the rules.
pub const MAX_MEANINGS: usize = 5;

/// The catalog entries `extraction` names that none of `candidates` explains, strongest
/// first (then in order of appearance). A candidate rule explains an entry when it names the
/// entry (its codes or a message signature), or when its evidence lies on the same words and
/// it has the entry's category: a meaning is listed only when it adds a reading.
pub fn meanings(
    knowledge: &Knowledge,
    extraction: &Extraction,
    candidates: &[Candidate],
) -> Vec<Meaning> {
    let catalog = &knowledge.catalog;
    let explained = |entry: usize, spans: &[Span]| {
        let category = catalog.entries()[entry].category.unwrap_or(Category::Other);
        candidates.iter().any(|c| {
            let named = knowledge.explains.rules_of(entry).contains(&c.rule);
            let same_words = knowledge.rules[c.rule].category == category
                && c.evidence
                    .iter()
                    .filter(|e| e.weight > 0.0)
                    .any(|e| e.spans.iter().any(|r| spans.iter().any(|s| r.overlaps(*s))));
            named || same_words
        })
    };
    let mut found: Vec<Meaning> = Vec::new();
    let mut add = |entry: usize, raw: f64, named: Named| {
        if explained(entry, &named.spans) {
            return;
        }
        match found.iter_mut().find(|m| m.entry == entry) {
            Some(meaning) => {
                meaning.raw = meaning.raw.max(raw);
                meaning.evidence.push(named);
            }
            None => found.push(Meaning {
                entry,
                raw,
                score: 0.0,
                evidence: vec![named],
            }),
        }
    };
    for code in &extraction.codes {
        let Some(family) = code.family() else {
            continue;
        };
        let Some(entry) = catalog
            .get(family, code.code)
            .and_then(|e| catalog.index_of(&e.key()))
        else {
            continue;
        };
        let raw = match code.role {
            Role::Error => 1.0,
            Role::Extended => 0.8,
            Role::Status => 0.7,
            Role::EventId => 0.6,
            Role::Unknown => 0.4,
        };
        add(
            entry,
            raw,
            Named {
                description: format!("code {} ({})", code.code, family.label()),
                spans: code.spans.clone(),
            },
        );
    }
    for message in &extraction.messages {
        let Some(entry) = catalog.index_of(&message.key) else {
            continue;
        };
        let description = if message.lang == "symbol" {
            "symbol".to_string()
        } else {
            format!(
                "message ({}, {:.0}% of it)",
                message.lang,
                message.coverage * 100.0
            )
        };
        add(
            entry,
            message.coverage,
            Named {
                description,
                spans: message.spans.clone(),
            },
        );
    }
    for meaning in &mut found {
        meaning.score = confidence(meaning.raw);
    }
    // A stable sort keeps the order of appearance among equals.
    found.sort_by(|a, b| b.raw.total_cmp(&a.raw));
    found.truncate(MAX_MEANINGS);
    found
}

/// Matches extractions against every rule of a knowledge base; built once.
pub struct Matcher<'k> {
    knowledge: &'k Knowledge,
    texts: PhraseSet,
    /// The same phrases, matched with a typo or two where no exact match exists.
    approximate: ApproximatePhrases,
    /// For each text pattern: the (rule, signature) pairs that use it.
    text_owners: Vec<Vec<(usize, usize)>>,
    /// The required words of every regex signature, to skip regexes that cannot match.
    words: PhraseSet,
    /// For each (rule, signature) regex with required words: their pattern ids in `words`.
    regex_words: HashMap<(usize, usize), Vec<usize>>,
}

impl<'k> Matcher<'k> {
    /// Compiles the text signatures of every rule into one automaton.
    pub fn new(knowledge: &'k Knowledge) -> Matcher<'k> {
        let mut patterns: Vec<String> = Vec::new();
        let mut text_owners: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut by_text: HashMap<String, usize> = HashMap::new();
        for (r, rule) in knowledge.rules.iter().enumerate() {
            for (s, signature) in rule.signatures.iter().enumerate() {
                if let Pattern::Text(text) = &signature.pattern {
                    let id = intern(&mut patterns, &mut by_text, fold(text));
                    if id == text_owners.len() {
                        text_owners.push(Vec::new());
                    }
                    text_owners[id].push((r, s));
                }
            }
        }
        let approximate = ApproximatePhrases::new(&patterns);
        let texts = PhraseSet::new(patterns);
        let mut words: Vec<String> = Vec::new();
        let mut word_ids: HashMap<String, usize> = HashMap::new();
        let mut regex_words = HashMap::new();
        for (r, rule) in knowledge.rules.iter().enumerate() {
            for (s, signature) in rule.signatures.iter().enumerate() {
                let Pattern::Regex(regex) = &signature.pattern else {
                    continue;
                };
                let Some(required) = regex.required_words() else {
                    continue;
                };
                let ids = required
                    .iter()
                    .map(|word| intern(&mut words, &mut word_ids, word.clone()))
                    .collect();
                regex_words.insert((r, s), ids);
            }
        }
        let words = PhraseSet::new(words);
        Matcher {
            knowledge,
            texts,
            approximate,
            text_owners,
            words,
            regex_words,
        }
    }

    /// Which required words occur in the folded paste.
    fn present_words(&self, extraction: &Extraction) -> Vec<bool> {
        let mut present = vec![false; self.words.len()];
        self.words
            .visit(&extraction.folded.text, |id, _| present[id] = true);
        present
    }

    /// Ranks the rules that match `extraction` of `text`, best first.
    pub fn rank(&self, extraction: &Extraction, text: &str) -> Vec<Candidate> {
        let text_hits = self.text_hits(extraction, text);
        let present = self.present_words(extraction);
        let rules = &self.knowledge.rules;
        let mut candidates = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            let mut evidence = Vec::new();
            for (s, signature) in rule.signatures.iter().enumerate() {
                let mut description = signature.describe();
                let mut weight = signature.weight;
                let spans = match &signature.pattern {
                    Pattern::Codes(codes) => {
                        let matched = match_codes(codes, extraction);
                        if matched.as_ref().is_some_and(|m| m.ambiguous) && weight > 0.0 {
                            // A bare number that several families define is weaker evidence.
                            weight /= 2.0;
                            description.push_str(" (a bare number, read in several ways)");
                        }
                        matched.map(|m| m.spans)
                    }
                    Pattern::Text(_) => text_hits.get(&(r, s)).map(|(spans, approximate)| {
                        if *approximate {
                            description.push_str(" (approximately)");
                        }
                        spans.clone()
                    }),
                    Pattern::Message(key) => extraction
                        .messages
                        .iter()
                        .find(|m| &m.key == key)
                        .map(|m| m.spans.clone()),
                    Pattern::Regex(regex) => {
                        let possible = self
                            .regex_words
                            .get(&(r, s))
                            .is_none_or(|ids| ids.iter().any(|&id| present[id]));
                        let compiled = if possible { regex.regex().ok() } else { None };
                        let spans: Vec<Span> = compiled
                            .into_iter()
                            .flat_map(|regex| regex.find_iter(text))
                            .take(MAX_SPANS)
                            .map(|m| Span {
                                start: m.start(),
                                end: m.end(),
                            })
                            .collect();
                        (!spans.is_empty()).then_some(spans)
                    }
                };
                if let Some(spans) = spans {
                    evidence.push(Evidence {
                        signature: s,
                        description,
                        weight,
                        spans,
                    });
                }
            }
            // One number in the paste is one piece of evidence, however many of the rule's
            // code signatures name it (`errinfo:0x5` and `extended:0x5`): the strongest counts.
            let mut kept: Vec<Evidence> = Vec::with_capacity(evidence.len());
            for item in evidence {
                let is_code = matches!(rule.signatures[item.signature].pattern, Pattern::Codes(_));
                let same = kept.iter().position(|k| {
                    is_code
                        && matches!(rule.signatures[k.signature].pattern, Pattern::Codes(_))
                        && k.spans == item.spans
                });
                match same {
                    Some(i) if kept[i].weight >= item.weight => {}
                    Some(i) => kept[i] = item,
                    None => kept.push(item),
                }
            }
            let evidence = same_words_count_once(rule, kept);
            let raw: f64 = evidence.iter().map(|e| e.weight).sum();
            if raw > 0.0 {
                candidates.push(Candidate {
                    rule: r,
                    raw,
                    score: confidence(raw),
                    evidence,
                    probes: Vec::new(),
                });
            }
        }
        sort_candidates(&mut candidates, rules);
        candidates
    }

    /// Where each text signature occurs: exactly, or else approximately (`true`).
    fn text_hits(
        &self,
        extraction: &Extraction,
        text: &str,
    ) -> HashMap<(usize, usize), (Vec<Span>, bool)> {
        let mut hits: HashMap<(usize, usize), (Vec<Span>, bool)> = HashMap::new();
        let folded = &extraction.folded;
        let mut exact = vec![false; self.text_owners.len()];
        self.texts.visit(&folded.text, |id, range| {
            exact[id] = true;
            for &owner in &self.text_owners[id] {
                let (spans, _) = hits.entry(owner).or_default();
                if spans.len() < MAX_SPANS {
                    spans.push(folded.original_span(range.clone(), text));
                }
            }
        });
        self.approximate.visit(&folded.text, |id, range| {
            if exact[id] {
                return;
            }
            for &owner in &self.text_owners[id] {
                let (spans, approximate) = hits.entry(owner).or_default();
                *approximate = true;
                if spans.len() < MAX_SPANS {
                    spans.push(folded.original_span(range.clone(), text));
                }
            }
        });
        hits
    }
}

/// The id of `phrase` in `list`, adding it when new.
/// A catalog message is one piece of evidence with the rule's own signatures on the same words:
/// a message signature that matched words a stronger signature already counted (a regex on the
/// dialog's sentence) adds nothing and is left out. Order is kept.
fn same_words_count_once(rule: &Rule, evidence: Vec<Evidence>) -> Vec<Evidence> {
    let mut order: Vec<usize> = (0..evidence.len()).collect();
    order.sort_by(|&a, &b| evidence[b].weight.total_cmp(&evidence[a].weight));
    let mut keep = vec![true; evidence.len()];
    let mut counted: Vec<Span> = Vec::new();
    for i in order {
        let item = &evidence[i];
        if item.weight <= 0.0 {
            continue;
        }
        let message = matches!(rule.signatures[item.signature].pattern, Pattern::Message(_));
        let shared = item
            .spans
            .iter()
            .any(|s| counted.iter().any(|c| c.overlaps(*s)));
        if shared && message {
            keep[i] = false;
        } else {
            counted.extend(&item.spans);
        }
    }
    evidence
        .into_iter()
        .zip(keep)
        .filter_map(|(item, keep)| keep.then_some(item))
        .collect()
}

fn intern(list: &mut Vec<String>, ids: &mut HashMap<String, usize>, phrase: String) -> usize {
    *ids.entry(phrase).or_insert_with_key(|phrase| {
        list.push(phrase.clone());
        list.len() - 1
    })
}

/// The spans of every code of a signature, or `None` when one is missing. A code also counts
/// as present when the paste shows its catalog message without the number (a dialog pasted
/// without its details, or in another language).
/// Where a code signature's codes were found.
struct CodeMatch {
    spans: Vec<Span>,
    /// Every code was found only as an unlabelled number that several families define.
    ambiguous: bool,
}

fn match_codes(codes: &[CodeRef], extraction: &Extraction) -> Option<CodeMatch> {
    let mut spans = Vec::new();
    let mut ambiguous = true;
    for code_ref in codes {
        let found = extraction.codes.iter().find(|f: &&FoundCode| {
            f.code == code_ref.code
                && code_ref
                    .family
                    .is_none_or(|family| f.readings.contains(&family))
        });
        let span = match found {
            Some(found) => {
                ambiguous &= found.role == Role::Unknown && found.readings.len() > 1;
                found.spans.first().copied()
            }
            None => {
                let message = extraction.messages.iter().find(|m| {
                    m.code == Some(code_ref.code)
                        && code_ref.family.is_none_or(|family| m.family == family)
                })?;
                ambiguous = false;
                message.spans.first().copied()
            }
        };
        spans.extend(span);
    }
    Some(CodeMatch { spans, ambiguous })
}

/// Whether a rule example or counter-example behaved as its rule says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExampleOutcome {
    /// The rule the example belongs to.
    pub rule: String,
    /// True for a counter-example.
    pub counter: bool,
    /// Position of the example in its list.
    pub index: usize,
    /// True when an example ranks its rule in the top 3, or a counter-example does not match.
    pub passed: bool,
    /// The rule's 1-based rank for this paste, when it matched.
    pub rank: Option<usize>,
    /// The ids of the top 3 candidates.
    pub top: Vec<String>,
    /// The rule's matched signatures, for a failing counter-example.
    pub matched: Vec<String>,
}

/// How many top candidates an example may rank its rule among.
pub const EXAMPLE_TOP: usize = 3;

/// Runs every rule's examples and counter-examples through extraction and matching, on every
/// core (each paste is independent); outcomes come in rule order.
pub fn check_examples(knowledge: &Knowledge) -> Vec<ExampleOutcome> {
    let extractor = Extractor::new(knowledge);
    let matcher = Matcher::new(knowledge);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = knowledge.rules.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = knowledge
            .rules
            .chunks(per_thread)
            .map(|rules| scope.spawn(|| check_rules(knowledge, rules, &extractor, &matcher)))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    })
}

fn check_rules(
    knowledge: &Knowledge,
    rules: &[Rule],
    extractor: &Extractor<'_>,
    matcher: &Matcher<'_>,
) -> Vec<ExampleOutcome> {
    let mut outcomes = Vec::new();
    for rule in rules {
        let lists = [(false, &rule.examples), (true, &rule.counter_examples)];
        for (counter, list) in lists {
            for (index, example) in list.iter().enumerate() {
                let extraction = extractor.extract(&example.text);
                let candidates = matcher.rank(&extraction, &example.text);
                let position = candidates
                    .iter()
                    .position(|c| knowledge.rules[c.rule].id == rule.id);
                let top = candidates
                    .iter()
                    .take(EXAMPLE_TOP)
                    .map(|c| knowledge.rules[c.rule].id.clone())
                    .collect();
                let matched = position
                    .map(|p| {
                        candidates[p]
                            .evidence
                            .iter()
                            .map(|e| e.description.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                let passed = if counter {
                    position.is_none()
                } else {
                    position.is_some_and(|p| p < EXAMPLE_TOP)
                };
                outcomes.push(ExampleOutcome {
                    rule: rule.id.clone(),
                    counter,
                    index,
                    passed,
                    rank: position.map(|p| p + 1),
                    top,
                    matched,
                });
            }
        }
    }
    outcomes
}

/// A text signature as a POSIX extended regex for `grep -E -i` (whitespace runs match any
/// whitespace), so the benchmark can compare against grep with the same signatures.
pub fn text_to_ere(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| {
                    if ".[]()*+?{}|^$\\".contains(c) {
                        format!("\\{c}")
                    } else {
                        c.to_string()
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("[[:space:]]+")
}

/// A code as a `grep -E -i` pattern matching its padded hex spellings.
pub fn code_to_ere(code: crate::catalog::Code) -> String {
    format!("0x0*{:x}\\b", code.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_grows_with_evidence_and_stays_below_one() {
        assert_eq!(confidence(0.0), 0.0);
        assert_eq!(confidence(3.0), 0.5);
        assert_eq!(confidence(6.0), 0.75);
        assert!(confidence(30.0) < 1.0 + f64::EPSILON);
        assert_eq!(confidence(-2.0), 0.0);
    }
}
