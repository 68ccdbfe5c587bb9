//! `~/.aliyun/config.json` import (protocols §8): the plan, and every
//! planned profile through the same structural check `profile add` uses.
#![no_main]
use alicred_core::import::aliyun_cli::plan_text;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // The importer reads the file with read_to_string: UTF-8 only.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = plan_text(Path::new("config.json"), text) {
        for p in &plan.profiles {
            let _ = p.input.into_profile();
        }
    }
});
