//! Words without codes: when a paste names nothing a rule or the catalog knows, the rules whose
//! texts share its words (ranked by BM25) are offered as "possibly related".
//!
//! A rule's text here is its title (counted twice), summary, causes, the phrases of its text
//! signatures and its examples, which carry the words users write. Words are folded,
//! a plural `s` is dropped, common words are skipped, CJK text is read as character pairs, and a
//! few everyday words are read as the words rules use ("kicked" as "disconnected").

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Serialize;

use crate::catalog::{Knowledge, Pattern};
use crate::literals::{fold_phrase, is_cjk};

/// At most this many related rules are offered.
pub const MAX_RELATED: usize = 3;

/// The confidence shown for the best related rule; the others get less, by score.
const TOP_CONFIDENCE: f64 = 0.15;

/// A related rule needs at least this many distinct shared words.
const MIN_SHARED_WORDS: usize = 2;

/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Everyday words read as the words the rules use.
const SYNONYMS: &[(&str, &str)] = &[
    ("kicked", "disconnected"),
    ("thrown", "disconnected"),
    ("dropped", "disconnected"),
    ("drop", "disconnect"),
    ("disconnects", "disconnected"),
    ("pc", "computer"),
    ("machine", "computer"),
    ("box", "computer"),
    ("login", "logon"),
    ("signin", "logon"),
    ("pwd", "password"),
    ("cert", "certificate"),
    ("blank", "black"),
    ("freezes", "freeze"),
    ("frozen", "freeze"),
    ("hangs", "hang"),
    ("stuck", "hang"),
    ("slow", "latency"),
    ("laggy", "latency"),
    ("lag", "latency"),
    ("rdp", "remote"),
    ("mstsc", "remote"),
    ("cant", "cannot"),
    ("can't", "cannot"),
    ("unable", "cannot"),
    ("couldn't", "cannot"),
    ("won't", "cannot"),
];

/// Words too common in RDP texts to tell rules apart.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "are",
    "was",
    "were",
    "not",
    "but",
    "you",
    "your",
    "has",
    "have",
    "had",
    "when",
    "then",
    "than",
    "its",
    "it's",
    "into",
    "can",
    "all",
    "any",
    "one",
    "our",
    "out",
    "get",
    "got",
    "just",
    "now",
    "also",
    "there",
    "their",
    "what",
    "which",
    "who",
    "how",
    "why",
    "after",
    "before",
    "again",
    "only",
    "some",
    "very",
    "does",
    "did",
    "doe",
    "will",
    "would",
    "could",
    "should",
    "been",
    "being",
    "about",
    "over",
    "other",
    "more",
    "most",
    "such",
    "same",
    "each",
    "both",
    "may",
    "might",
    "must",
    "shall",
    "connect",
    "connection",
    "connecting",
    "remote",
    "desktop",
    "error",
    "errors",
    "please",
    "help",
    "issue",
    "problem",
    "trying",
    "try",
    "tried",
    "use",
    "using",
    "used",
    "work",
    "working",
    "works",
    "worked",
    "yesterday",
    "today",
    "still",
    "even",
    "here",
    "they",
    "them",
    "him",
    "her",
    "she",
    "his",
    "hers",
    "myself",
    "itself",
    "these",
    "those",
    "where",
    "right",
    "left",
    "log",
    "goes",
    "going",
    "went",
    "see",
    "seem",
    "keep",
    "time",
    "day",
    "every",
    "always",
    "never",
    "sometime",
    "while",
    "since",
    "until",
    "because",
    "like",
    "know",
    "think",
    "want",
    "need",
    "able",
    "way",
    "thing",
    "something",
    "anything",
    "nothing",
    "say",
    "said",
    "tell",
    "told",
    "show",
    "shown",
    "cannot",
    "message",
];

/// CJK words as common in RDP texts as "remote desktop" and "error": their character pairs are
/// not indexed.
const CJK_STOPWORDS: &[&str] = &[
    "リモートデスクトップ接続",
    "リモートコンピューター",
    "エラーコード",
    "远程桌面连接",
    "远程计算机",
    "错误代码",
    "遠端桌面連線",
    "遠端電腦",
    "錯誤碼",
    "원격데스크톱연결",
    "원격컴퓨터",
    "오류코드",
];

/// The character pairs of [`CJK_STOPWORDS`].
static CJK_STOP_PAIRS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    CJK_STOPWORDS
        .iter()
        .flat_map(|word| {
            let chars: Vec<char> = word.chars().collect();
            chars
                .windows(2)
                .map(|pair| pair.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect()
});

/// A rule offered because the paste shares its words, without evidence of its cause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedRule {
    /// Index of the rule in [`Knowledge::rules`].
    pub rule: usize,
    /// A low confidence: the words are shared, the cause is not shown.
    pub score: f64,
    /// The shared words, most telling first.
    pub words: Vec<String>,
}

/// A word shared with a rule, with its inverse document frequency (how telling it is).
type Shared = (f64, String);

/// The word index of every rule's texts; built once per knowledge base.
pub struct Related {
    /// For each word: (rule, occurrences).
    postings: HashMap<String, Vec<(usize, u32)>>,
    /// Words per rule text.
    lengths: Vec<f64>,
    average: f64,
}

impl Related {
    /// Indexes the texts of every rule of `knowledge`.
    pub fn new(knowledge: &Knowledge) -> Related {
        let mut postings: HashMap<String, Vec<(usize, u32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(knowledge.rules.len());
        for (r, rule) in knowledge.rules.iter().enumerate() {
            let mut text = format!("{} {} {}", rule.title, rule.title, rule.summary);
            for part in rule
                .causes
                .iter()
                .chain(rule.examples.iter().map(|e| &e.text))
            {
                text.push(' ');
                text.push_str(part);
            }
            for signature in &rule.signatures {
                if let (Pattern::Text(phrase), true) = (&signature.pattern, signature.weight > 0.0)
                {
                    text.push(' ');
                    text.push_str(phrase);
                }
            }
            let words = words(&text);
            lengths.push(words.len() as f64);
            let mut counts: HashMap<String, u32> = HashMap::new();
            for word in words {
                *counts.entry(word).or_default() += 1;
            }
            for (word, count) in counts {
                postings.entry(word).or_default().push((r, count));
            }
        }
        let average = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().sum::<f64>() / lengths.len() as f64).max(1.0)
        };
        Related {
            postings,
            lengths,
            average,
        }
    }

    /// The rules whose texts share the most telling words with `text`, best first.
    pub fn find(&self, text: &str) -> Vec<RelatedRule> {
        let mut query: Vec<String> = words(text);
        query.sort();
        query.dedup();
        let documents = self.lengths.len() as f64;
        let mut scores: HashMap<usize, (f64, Vec<Shared>)> = HashMap::new();
        for word in &query {
            let Some(posting) = self.postings.get(word) else {
                continue;
            };
            let with = posting.len() as f64;
            let idf = ((documents - with + 0.5) / (with + 0.5) + 1.0).ln();
            for &(rule, count) in posting {
                let tf = f64::from(count);
                let norm = K1 * (1.0 - B + B * self.lengths[rule] / self.average);
                let gain = idf * tf * (K1 + 1.0) / (tf + norm);
                let slot = scores.entry(rule).or_default();
                slot.0 += gain;
                slot.1.push((idf, word.clone()));
            }
        }
        let mut ranked: Vec<(usize, f64, Vec<Shared>)> = scores
            .into_iter()
            .filter(|(_, (_, words))| words.len() >= MIN_SHARED_WORDS)
            .map(|(rule, (score, words))| (rule, score, words))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(MAX_RELATED);
        let best = ranked.first().map_or(1.0, |r| r.1);
        ranked
            .into_iter()
            .map(|(rule, score, mut shared)| {
                shared.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                RelatedRule {
                    rule,
                    score: (TOP_CONFIDENCE * score / best * 100.0).round() / 100.0,
                    words: shared.into_iter().map(|(_, w)| w).take(6).collect(),
                }
            })
            .collect()
    }
}

/// The indexed words of a text: folded, synonyms read, common words dropped, CJK in pairs.
fn words(text: &str) -> Vec<String> {
    let folded = fold_phrase(text);
    let mut out = Vec::new();
    let mut cjk_previous: Option<char> = None;
    for token in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let token = token.trim_matches('\'');
        if token.is_empty() {
            continue;
        }
        if token.chars().any(is_cjk) {
            for c in token.chars() {
                if !is_cjk(c) {
                    cjk_previous = None;
                    continue;
                }
                if let Some(p) = cjk_previous {
                    let pair = format!("{p}{c}");
                    if !CJK_STOP_PAIRS.contains(&pair) {
                        out.push(pair);
                    }
                }
                cjk_previous = Some(c);
            }
            cjk_previous = None;
            continue;
        }
        let word = SYNONYMS
            .iter()
            .find(|(from, _)| *from == token)
            .map_or(token, |(_, to)| to);
        let word = word
            .strip_suffix('s')
            .filter(|w| w.len() >= 4)
            .unwrap_or(word);
        if word.chars().count() < 3
            || word.chars().all(|c| c.is_ascii_digit())
            || STOPWORDS.contains(&word)
        {
            continue;
        }
        out.push(word.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_read_synonyms_and_pair_cjk() {
        assert_eq!(
            words("I get KICKED out of the PC, the screen goes black"),
            ["disconnected", "computer", "screen", "black"]
        );
        assert_eq!(words("黑屏了"), ["黑屏", "屏了"]);
        assert!(words("リモート デスクトップ接続").is_empty());
    }
}
