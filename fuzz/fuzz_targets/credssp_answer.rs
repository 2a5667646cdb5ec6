//! A server's CredSSP TSRequest and the NTLM challenge inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdp_doctor::fuzzing::credssp_answer(data));
