//! One knowledge file of another team's folder, loaded and checked as `rules check` does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdp_doctor::fuzzing::knowledge_file(data));
