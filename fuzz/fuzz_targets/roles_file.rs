#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_fuzz::roles::roles_file(data));
