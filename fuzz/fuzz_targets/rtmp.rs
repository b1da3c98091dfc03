//! The RTMP port: see `onair::fuzzing::rtmp`. Every panic is a crash: nothing on this path
//! catches one.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| onair::fuzzing::rtmp(data));
