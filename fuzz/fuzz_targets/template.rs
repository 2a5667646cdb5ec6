//! A rule's or catalog entry's text template, rendered within its budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdp_doctor::fuzzing::template(data));
