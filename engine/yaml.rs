//! All YAML handling: typed parsing with positions, and a key-path index for semantic errors.
//!
//! `serde_yaml` reports positions only for syntax and type errors. Semantic checks (a regex
//! that does not compile, an unknown category, a duplicate id) run after deserialisation, so
//! this module also walks the same text with an event parser and records where each value
//! starts, keyed by its path (`signatures[2].regex`). Keeping both here means the YAML library
//! could be swapped in one place.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::limits::YAML_FLOW_DEPTH;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A YAML document that failed to parse or to match the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What went wrong, as a lower-case fragment.
    pub message: String,
    /// Where, when the parser knows.
    pub position: Option<Position>,
}

/// Where each value of a document starts, by key path (`steps[0].commands.powershell`).
#[derive(Debug, Clone, Default)]
pub struct PathIndex {
    values: HashMap<String, Position>,
}

impl PathIndex {
    /// Builds the index of `source`; a document the event parser rejects yields an empty index.
    pub fn build(source: &str) -> PathIndex {
        let mut builder = IndexBuilder::default();
        let mut parser = Parser::new_from_str(source);
        if parser.load(&mut builder, false).is_err() {
            return PathIndex::default();
        }
        PathIndex {
            values: builder.values,
        }
    }

    /// The position of the value at `path`, or of its closest recorded ancestor.
    pub fn locate(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(position) = self.values.get(path) {
                return Some(*position);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

/// Parses `source` into `T`, returning the value and a path index built on first use.
pub fn parse<T: DeserializeOwned>(source: &str) -> Result<(T, LazyIndex<'_>), YamlError> {
    check_flow_depth(source)?;
    match serde_yaml::from_str::<T>(source) {
        Ok(value) => Ok((
            value,
            LazyIndex {
                source,
                index: OnceCell::new(),
            },
        )),
        Err(error) => Err(convert_error(&error)),
    }
}

/// A [`PathIndex`] built only when a position is asked for: valid files never pay for it.
#[derive(Debug)]
pub struct LazyIndex<'a> {
    source: &'a str,
    index: OnceCell<PathIndex>,
}

impl<'a> LazyIndex<'a> {
    /// An index of `source`, built when first asked.
    pub fn new(source: &'a str) -> LazyIndex<'a> {
        LazyIndex {
            source,
            index: OnceCell::new(),
        }
    }

    /// The position of the value at `path`, or of its closest recorded ancestor.
    pub fn locate(&self, path: &str) -> Option<Position> {
        self.index
            .get_or_init(|| PathIndex::build(self.source))
            .locate(path)
    }
}

/// Refuses flow collections nested deeper than [`YAML_FLOW_DEPTH`] before the YAML scanner
/// sees them: its time grows with the square of the depth (100,000 `[` took 22 s). Quoted
/// scalars and comments are skipped; the count is a cheap over-estimate elsewhere (brackets in
/// plain text), which only matters for text with dozens of unclosed brackets.
fn check_flow_depth(source: &str) -> Result<(), YamlError> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut comment = false;
    let mut chars = source.chars().peekable();
    let (mut line, mut column) = (1, 0);
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column) = (line + 1, 0);
            // A quoted scalar may span lines: its state is kept.
            comment = false;
        } else if comment {
            // Inside a comment: nothing counts.
        } else if let Some(q) = quote {
            if q == '"' && c == '\\' {
                chars.next();
                column += 1;
            } else if c == q {
                if q == '\'' && chars.peek() == Some(&'\'') {
                    chars.next();
                    column += 1;
                } else {
                    quote = None;
                }
            }
        } else if c == '#' && previous.is_whitespace() {
            comment = true;
        } else if (c == '"' || c == '\'')
            && (previous.is_whitespace() || matches!(previous, '[' | '{' | ',' | ':' | '-'))
        {
            quote = Some(c);
        } else if c == '[' || c == '{' {
            depth += 1;
            if depth > YAML_FLOW_DEPTH {
                return Err(YamlError {
                    message: format!(
                        "lists and maps nested deeper than {YAML_FLOW_DEPTH} levels; knowledge files never need more than a few"
                    ),
                    position: Some(Position { line, column }),
                });
            }
        } else if c == ']' || c == '}' {
            depth = depth.saturating_sub(1);
        }
        previous = c;
    }
    Ok(())
}

fn convert_error(error: &serde_yaml::Error) -> YamlError {
    let position = error.location().map(|location| Position {
        line: location.line(),
        column: location.column(),
    });
    let mut message = error.to_string();
    // serde_yaml writes " at line L column C" for the error's own place, which is reported
    // separately; a second place ("while scanning a quoted scalar at line 2 column 8") stays.
    if let Some(p) = position {
        let own = format!(" at line {} column {}", p.line, p.column);
        if let Some(cut) = message.find(&own) {
            message.replace_range(cut..cut + own.len(), "");
        }
    } else if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    YamlError { message, position }
}

enum Frame {
    Mapping { key: Option<String>, first: bool },
    Sequence { index: usize },
}

#[derive(Default)]
struct IndexBuilder {
    stack: Vec<(String, Frame)>,
    values: HashMap<String, Position>,
}

impl IndexBuilder {
    /// The path of the value about to be read, or `None` when a mapping key is expected.
    fn value_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some((path, Frame::Mapping { key: Some(key), .. })) => Some(join_key(path, key)),
            Some((_, Frame::Mapping { key: None, .. })) => None,
            Some((path, Frame::Sequence { index })) => Some(format!("{path}[{index}]")),
        }
    }

    /// Records that a value ended, advancing the parent frame.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some((_, Frame::Mapping { key, .. })) => *key = None,
            Some((_, Frame::Sequence { index })) => *index += 1,
            None => {}
        }
    }

    fn start_container(&mut self, frame: Frame, mark: Marker) {
        let path = self.value_path().unwrap_or_default();
        self.values.entry(path.clone()).or_insert(position_of(mark));
        self.stack.push((path, frame));
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => match self.value_path() {
                Some(path) => {
                    self.values.insert(path, position_of(mark));
                    self.value_done();
                }
                None => {
                    if let Some((path, Frame::Mapping { key, first })) = self.stack.last_mut() {
                        // A block mapping's start event sits after its first key; the key
                        // itself is where a reader looks.
                        if *first {
                            self.values.insert(path.clone(), position_of(mark));
                            *first = false;
                        }
                        *key = Some(text);
                    }
                }
            },
            Event::Alias(_) => self.value_done(),
            Event::MappingStart(..) => self.start_container(
                Frame::Mapping {
                    key: None,
                    first: true,
                },
                mark,
            ),
            Event::SequenceStart(..) => self.start_container(Frame::Sequence { index: 0 }, mark),
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn position_of(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_records_nested_positions() {
        let source =
            "id: x\nsignatures:\n  - { text: a, weight: 2 }\n  - regex: \"(\"\n    weight: 1\n";
        let index = PathIndex::build(source);
        assert_eq!(index.locate("id"), Some(Position { line: 1, column: 5 }));
        assert_eq!(
            index.locate("signatures[1].regex"),
            Some(Position {
                line: 4,
                column: 12
            })
        );
        assert_eq!(
            index.locate("signatures[0].weight"),
            Some(Position {
                line: 3,
                column: 24
            })
        );
        // An unknown path falls back to its closest ancestor.
        assert_eq!(
            index.locate("signatures[1].nothing"),
            Some(Position { line: 4, column: 5 })
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Doc {
            id: String,
        }
        let error = parse::<Doc>("id: [unclosed\n").unwrap_err();
        assert!(error.position.is_some(), "{error:?}");
    }

    #[test]
    fn deep_flow_nesting_is_refused_at_its_place_and_quotes_and_comments_do_not_count() {
        let deep = format!("id: x\ntitle: {}", "[".repeat(100_000));
        let error = check_flow_depth(&deep).unwrap_err();
        assert_eq!(
            error.position,
            Some(Position {
                line: 2,
                column: 72
            })
        );
        let fine = format!(
            "a: \"{}\"\nb: '{}'\n# {}\nc: [[1], {{d: [2]}}]\ne: it's [ok]\n",
            "[".repeat(200),
            "{".repeat(200),
            "[".repeat(200)
        );
        assert_eq!(check_flow_depth(&fine), Ok(()));
    }
}
