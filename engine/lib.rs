//! rdp-doctor: diagnose Microsoft Remote Desktop (RDP) connection failures from pasted text.
//!
//! The modules form layers, each using only those below it: [`model`] (plain data types) and
//! text helpers; the Rhai `sandbox`; [`catalog`], which loads and validates the knowledge;
//! then the stages of a diagnosis, [`extract`] (codes, hosts and known messages in a paste),
//! [`matcher`] (ranks the rules and lists the catalog meanings no rule explains), [`related`]
//! (rules that share a paste's words when nothing is recognised), [`redact`] (hides the hosts,
//! addresses and names of a paste), [`ranking`] (the whole list a report shows), `probe` (checks a live host and re-ranks) and `render` (the
//! report); then `site`, `check` (`rules check`) and `scan` (whole logs); and `cli` on top.
//!
//! Features: `cli` (the default) is the command line and all it offers; without it the
//! library is the engine alone (load, extract, rank), which also builds for WebAssembly
//! (`wasm/`). `probe` adds live probes, `embedded` the knowledge folders built in.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalog;
#[cfg(feature = "cli")]
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod extract;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod limits;
pub mod literals;
pub mod matcher;
pub mod model;
#[cfg(feature = "probe")]
pub mod probe;
pub mod ranking;
pub mod redact;
pub mod related;
#[cfg(feature = "cli")]
pub mod render;
pub mod rule_regex;
#[cfg(feature = "probe")]
pub mod sandbox;
#[cfg(feature = "cli")]
pub mod scan;
pub mod search;
#[cfg(feature = "cli")]
pub mod site;
pub mod untrusted;
pub mod yaml;
