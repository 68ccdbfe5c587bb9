//! The webview gets exactly what the dashboard uses: `invoke` of our own
//! commands (needs no permission) and `listen` for engine events. If the UI
//! starts using another Tauri API, this test says so; grant it narrowly.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_capability_allows_exactly_event_listening() {
    let text = std::fs::read_to_string(root().join("capabilities/default.json")).expect("read");
    let cap: serde_json::Value = serde_json::from_str(&text).expect("json");
    let perms: Vec<&str> = cap["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("a plain permission name"))
        .collect();
    assert_eq!(
        perms,
        ["core:event:allow-listen", "core:event:allow-unlisten"]
    );
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    let dir = root().join("capabilities");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["default.json"], "no other capability file");
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("ui/src").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "ts" || x == "svelte" || x == "js")
        {
            out.push(p);
        }
    }
}

#[test]
fn the_ui_uses_only_invoke_and_listen() {
    let mut files = Vec::new();
    sources(&root().join("../ui/src"), &mut files);
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find("@tauri-apps/") {
                let module = &line[at..];
                assert!(
                    module.starts_with("@tauri-apps/api/core")
                        || module.starts_with("@tauri-apps/api/event"),
                    "{}:{}: {line}: grant its permission in capabilities/default.json",
                    f.display(),
                    i + 1
                );
            }
        }
        assert!(
            !text.contains("__TAURI_INTERNALS__") && !text.contains("window.__TAURI__"),
            "{}: uses Tauri's globals directly",
            f.display()
        );
    }
}
