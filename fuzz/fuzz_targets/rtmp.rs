//! The RTMP port: see `onair::fuzzing::rtmp`.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // The server runs with panic = unwind, and `ingest::connection::feed` catches the RTMP
        // library's panics (they end that one connection). libfuzzer-sys aborts on every panic,
        // caught or not; here a caught one is not a crash. A panic that escapes `feed` still
        // reaches libfuzzer-sys's own catch, which aborts: that is a crash.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| onair::fuzzing::rtmp(data)
);
