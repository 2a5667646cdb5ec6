//! rdp-doctor: diagnose Microsoft Remote Desktop (RDP) connection failures from pasted text.
//!
//! The stages, each a module taking and returning plain data:
//! [`catalog`] loads the knowledge (codes, labels, rules), [`extract`] finds codes, hosts and
//! known messages in a paste, [`matcher`] ranks the rules, [`probe`] checks a live host and re-ranks, [`render`] writes the report, and
//! [`cli`] is the command line around them.

#![warn(missing_docs)]

pub mod catalog;
pub mod check;
pub mod cli;
pub mod extract;
pub mod literals;
pub mod matcher;
pub mod model;
pub mod probe;
pub mod render;
pub mod sandbox;
pub mod search;
pub mod site;
pub mod yaml;
