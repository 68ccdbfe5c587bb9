//! The profiles file (`profiles.toml`) as `ConfigStore::load` reads it; a
//! file that parses must survive a write and a re-read unchanged.
#![no_main]
use alicred_core::store::config::ProfilesFile;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // `load` reads with read_to_string: only UTF-8 reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("profiles.toml");
    match ProfilesFile::parse(path, text) {
        Ok(file) => {
            let again = ProfilesFile::parse(path, &file.to_toml())
                .expect("a file alicred wrote must read back");
            assert_eq!(file, again, "write + re-read changed the profiles");
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains('\n'), "errors are one line: {shown}");
        }
    }
});
