//! A probe recording given to `--replay`, replayed with the embedded probes and reported.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: rdp_doctor::fuzzing::warm_up(),
    |data: &[u8]| rdp_doctor::fuzzing::recording(data)
);
