//! A paste, as bytes: decoded, extracted, ranked and rendered in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: rdp_doctor::fuzzing::warm_up(),
    |data: &[u8]| rdp_doctor::fuzzing::diagnose(data)
);
