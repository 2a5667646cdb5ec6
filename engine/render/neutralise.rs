//! A report's texts neutralised for a terminal or a Markdown file (see [`crate::untrusted`]).

use std::borrow::Cow;

use indexmap::IndexMap;
use serde_json::Value;

use crate::catalog::Reference;
use crate::probe::{ProbeResult, ProbeVerdict, Target};
use crate::untrusted::neutralise;

use super::{CodeReport, Diagnosis, InputReport, MessageReport, ProbeReport, Report, StepReport};

/// A value whose text can be neutralised in place.
pub trait Neutralise {
    /// Replaces every active character of every text in `self` (see [`neutralise`]).
    fn neutralise(&mut self);

    /// A neutralised copy of `self`.
    fn neutralised(&self) -> Self
    where
        Self: Clone,
    {
        let mut clean = self.clone();
        clean.neutralise();
        clean
    }
}

impl Neutralise for String {
    fn neutralise(&mut self) {
        if let Cow::Owned(clean) = neutralise(self) {
            *self = clean;
        }
    }
}

impl<T: Neutralise> Neutralise for Vec<T> {
    fn neutralise(&mut self) {
        self.iter_mut().for_each(Neutralise::neutralise);
    }
}

impl<T: Neutralise> Neutralise for Option<T> {
    fn neutralise(&mut self) {
        if let Some(value) = self {
            value.neutralise();
        }
    }
}

/// Rebuilds a map with its keys and values neutralised.
fn neutralise_map<M, V>(map: &mut M)
where
    M: Default + IntoIterator<Item = (String, V)> + FromIterator<(String, V)>,
    V: Neutralise,
{
    *map = std::mem::take(map)
        .into_iter()
        .map(|(mut key, mut value)| {
            key.neutralise();
            value.neutralise();
            (key, value)
        })
        .collect();
}

impl Neutralise for IndexMap<String, String> {
    fn neutralise(&mut self) {
        neutralise_map(self);
    }
}

impl Neutralise for serde_json::Map<String, Value> {
    fn neutralise(&mut self) {
        neutralise_map(self);
    }
}

impl Neutralise for Value {
    fn neutralise(&mut self) {
        match self {
            Value::String(text) => text.neutralise(),
            Value::Array(items) => items.neutralise(),
            Value::Object(map) => map.neutralise(),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Implements [`Neutralise`] for a struct by destructuring it whole, so a field added later
/// must be listed here (as text, or as `_` when it holds none) or the build fails.
macro_rules! neutralise_fields {
    ($type:ident { $($text:ident),* ; $($other:ident),* }) => {
        impl Neutralise for $type {
            fn neutralise(&mut self) {
                let $type { $($text,)* $($other: _,)* } = self;
                $($text.neutralise();)*
            }
        }
    };
}

neutralise_fields!(Report { input, diagnoses, notices, probes; version });
neutralise_fields!(InputReport { codes, hosts, messages; });
neutralise_fields!(CodeReport { code, shown, family, role, name, written, other_readings, aliases; });
neutralise_fields!(MessageReport { key, name, lang, excerpt; });
neutralise_fields!(Diagnosis {
    rule, entry, title, category, codes, evidence, summary, check_first, causes, steps, probes,
    references; kind, score
});
neutralise_fields!(StepReport { title, body, commands; side });
neutralise_fields!(ProbeReport { target, replayed_from, results; });
neutralise_fields!(Target { host, gateway; port });
neutralise_fields!(ProbeResult { probe, summary, facts, notes; status, elapsed_ms });
neutralise_fields!(ProbeVerdict { probe, summary, facts; status, verdict });
neutralise_fields!(Reference { title, url; });
