//! Text from forms and requests: see `onair::fuzzing::forms`.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| onair::fuzzing::forms(text));
