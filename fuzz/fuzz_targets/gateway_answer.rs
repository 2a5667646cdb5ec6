//! An RD Gateway's HTTP answer head.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdp_doctor::fuzzing::gateway_answer(data));
