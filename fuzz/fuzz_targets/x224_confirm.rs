//! A server's X.224 Connection Confirm with its RDP negotiation answer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdp_doctor::fuzzing::x224_confirm(data));
