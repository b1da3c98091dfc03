//! The fMP4 splitter: see `onair::fuzzing::splitter`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onair::fuzzing::splitter(data));
