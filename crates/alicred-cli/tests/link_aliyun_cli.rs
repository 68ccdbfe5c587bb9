//! `alicred link aliyun-cli` never leaves a secret on disk and never damages
//! what it does not own: directory modes, a symlinked config.json, the
//! user's own profiles; backups without secrets; long-term keys refused
//! unless asked for. The SDKs' write-back is simulated here byte for byte as
//! Python's `json.dump(indent=4)` writes it; tests/python/test_link_aliyun_cli.py
//! runs the real SDK.

mod common;

use common::{Home, contains};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SECRET: &str = "sts-secret-0001-never-on-disk";
const TOKEN: &str = "sts-token-0001-never-on-disk";
const LONG_SECRET: &str = "long-term-secret-never-on-disk";
const WRITTEN_BACK: &str = "sdk-wrote-this-secret-back";
const THEIR_SECRET: &str = "their-own-secret-kept";

struct User {
    home: Home,
    /// $HOME of the user (holds .aliyun).
    dir: PathBuf,
}

impl User {
    fn new() -> Self {
        let home = Home::new();
        let dir = home.file("user");
        std::fs::create_dir(&dir).expect("mkdir");
        let u = Self { home, dir };
        u.ok(
            &[
                "profile",
                "add",
                "dev",
                "--type",
                "sts-token",
                "--expiration",
                "2999-01-01T00:00:00Z",
            ],
            &format!(
                r#"{{"AccessKeyId":"STS.Dev0001","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}"}}"#
            ),
        );
        u.ok(
            &["profile", "add", "key", "--type", "access-key"],
            &format!(r#"{{"AccessKeyId":"LTAI5tLongTerm01","AccessKeySecret":"{LONG_SECRET}"}}"#),
        );
        u
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.home.cmd();
        c.env("HOME", &self.dir)
            .env_remove("ALIBABA_CLOUD_CONFIG_FILE");
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> std::process::Output {
        self.cmd()
            .args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .expect("run alicred")
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "alicred {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn aliyun(&self) -> PathBuf {
        self.dir.join(".aliyun")
    }

    fn config(&self) -> PathBuf {
        self.aliyun().join("config.json")
    }

    fn program(&self) -> String {
        env!("CARGO_BIN_EXE_alicred").to_owned()
    }

    fn command(&self, name: &str) -> String {
        format!("{} export {name} --format aliyun-external", self.program())
    }

    /// `alicred export` as the linked External profile runs it (no agent).
    fn export(&self, name: &str) {
        self.ok(&["export", name, "--format", "aliyun-external"], "");
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

fn no_secret_under(dir: &Path) {
    for e in walk(dir) {
        let b = std::fs::read(&e).unwrap_or_default();
        for s in [SECRET, TOKEN, LONG_SECRET, WRITTEN_BACK] {
            assert!(!contains(&b, s), "{s} in {}", e.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The user's file as Python's `json.dump(config, f, indent=4)` leaves it
/// after the SDK wrote `secret` back into the linked profile `dev`.
fn after_write_back(user_profile: &str, command: &str, secret: &str) -> String {
    format!(
        r#"{{
    "current": "dev",
    "profiles": [
{user_profile},
        {{
            "name": "dev",
            "mode": "External",
            "process_command": "{command}",
            "region_id": "cn-hangzhou",
            "access_key_id": "STS.Dev0001",
            "access_key_secret": "{secret}",
            "sts_token": "{TOKEN}",
            "sts_expiration": 32472144000
        }}
    ],
    "meta_path": "",
    "a_future_top_level": {{"kept": [1, 2, 3]}}
}}"#
    )
}

const MINE: &str = r#"        {
            "name": "mine",
            "mode": "AK",
            "access_key_id": "LTAI5tTheirOwnKey001",
            "access_key_secret": "their-own-secret-kept",
            "region_id": "cn-beijing",
            "a_future_field": {"nested": [1, 2, 3]}
        }"#;

fn write_back_members(secret: &str) -> String {
    format!(
        ",\n            \"access_key_id\": \"STS.Dev0001\",\n            \"access_key_secret\": \"{secret}\",\n            \"sts_token\": \"{TOKEN}\",\n            \"sts_expiration\": 32472144000"
    )
}

#[test]
fn directories_alicred_did_not_create_keep_their_mode() {
    let u = User::new();
    // A 0755 ~/.aliyun stays 0755.
    std::fs::create_dir(u.aliyun()).expect("mkdir");
    std::fs::set_permissions(u.aliyun(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    u.ok(&["link", "aliyun-cli", "dev"], "");
    assert_eq!(mode(&u.aliyun()), 0o755, "~/.aliyun was chmodded");
    assert_eq!(mode(&u.config()), 0o600, "a new config.json is private");
    u.ok(&["unlink", "aliyun-cli"], "");
    assert_eq!(mode(&u.aliyun()), 0o755);

    // A 1777 directory named by ALIBABA_CLOUD_CONFIG_FILE stays 1777.
    let shared = u.home.file("shared-tmp");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let file = shared.join("aliyun.json");
    let out = u
        .cmd()
        .env("ALIBABA_CLOUD_CONFIG_FILE", &file)
        .args(["link", "aliyun-cli", "dev"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&shared), 0o1777, "a 1777 directory was chmodded");
    assert!(file.exists());

    // A directory alicred creates is its own: 0700.
    let u2 = User::new();
    u2.ok(&["link", "aliyun-cli", "dev"], "");
    assert_eq!(mode(&u2.aliyun()), 0o700);
}

#[test]
fn a_symlinked_config_stays_a_symlink_and_its_target_is_updated() {
    let u = User::new();
    let repo = u.dir.join("dotfiles");
    std::fs::create_dir(&repo).expect("mkdir");
    std::fs::set_permissions(&repo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let target = repo.join("aliyun.json");
    std::fs::write(&target, "{\"current\": \"\", \"profiles\": []}").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    std::fs::create_dir(u.aliyun()).expect("mkdir");
    std::os::unix::fs::symlink("../dotfiles/aliyun.json", u.config()).expect("symlink");

    u.ok(&["link", "aliyun-cli", "dev", "--current", "dev"], "");
    let is_link = || {
        std::fs::symlink_metadata(u.config())
            .expect("stat")
            .file_type()
            .is_symlink()
    };
    assert!(is_link(), "config.json was replaced by a plain file");
    let text = std::fs::read_to_string(&target).expect("read");
    assert!(
        text.contains(&u.command("dev")),
        "the target was not updated"
    );
    assert_eq!(mode(&target), 0o600, "the SDKs write credentials into it");
    assert_eq!(mode(&repo), 0o755);
    assert!(
        walk(&repo).iter().all(|p| p == &target),
        "temp files left in the target's directory: {:?}",
        walk(&repo)
    );

    // The SDK's os.replace turns the link into a plain file with the
    // write-back; the next strip writes the target and puts the link back.
    std::fs::remove_file(u.config()).expect("rm");
    std::fs::write(
        u.config(),
        after_write_back(MINE, &u.command("dev"), WRITTEN_BACK),
    )
    .expect("write");
    u.export("dev");
    assert!(is_link(), "the symlink was not put back");
    let text = std::fs::read_to_string(&target).expect("read");
    assert!(!text.contains(WRITTEN_BACK) && text.contains("\"name\": \"mine\""));
    no_secret_under(&u.aliyun());
    u.ok(&["unlink", "aliyun-cli"], "");
    assert!(is_link());
}

#[test]
fn a_strip_keeps_every_other_byte_and_the_users_own_profiles() {
    let u = User::new();
    u.ok(&["link", "aliyun-cli", "dev", "--current", "dev"], "");
    let written = after_write_back(MINE, &u.command("dev"), WRITTEN_BACK);
    std::fs::write(u.config(), &written).expect("write");
    std::fs::set_permissions(u.config(), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    u.export("dev");
    let expected = written.replace(&write_back_members(WRITTEN_BACK), "");
    assert_ne!(expected, written);
    assert_eq!(
        std::fs::read_to_string(u.config()).expect("read"),
        expected,
        "anything but the write-back changed"
    );
    assert_eq!(mode(&u.config()), 0o640, "the file's mode changed");
    // A profile of the user's own that looks like alicred's is theirs.
    let theirs = after_write_back(MINE, "/usr/local/bin/my-helper", WRITTEN_BACK);
    std::fs::write(u.config(), &theirs).expect("write");
    u.export("dev");
    assert_eq!(std::fs::read_to_string(u.config()).expect("read"), theirs);
}

#[test]
fn backups_hold_no_secret_are_private_and_go_with_the_last_link() {
    let u = User::new();
    u.ok(
        &[
            "profile",
            "add",
            "ops",
            "--type",
            "sts-token",
            "--expiration",
            "2999-01-01T00:00:00Z",
        ],
        r#"{"AccessKeyId":"STS.Ops0001","AccessKeySecret":"ops-secret-value","SecurityToken":"ops-token-value"}"#,
    );
    std::fs::create_dir(u.aliyun()).expect("mkdir");
    let theirs = format!("{{\n    \"current\": \"mine\",\n    \"profiles\": [\n{MINE}\n    ]\n}}");
    std::fs::write(u.config(), &theirs).expect("write");
    u.ok(&["link", "aliyun-cli", "dev"], "");
    let backup = u.aliyun().join("config.json.alicred-backup");
    let b = std::fs::read_to_string(&backup).expect("a backup");
    assert_eq!(mode(&backup), 0o600);
    assert!(
        !b.contains(THEIR_SECRET),
        "the user's own secret copied into the backup"
    );
    assert!(b.contains("LTAI5tTheirOwnKey001") && b.contains("a_future_field"));

    // The SDK wrote back; the next link backs up the file without it.
    let written = after_write_back(MINE, &u.command("dev"), WRITTEN_BACK);
    std::fs::write(u.config(), &written).expect("write");
    u.ok(&["link", "aliyun-cli", "ops"], "");
    no_secret_under(&u.aliyun());
    let b = std::fs::read_to_string(&backup).expect("a backup");
    assert!(!b.contains(THEIR_SECRET) && !b.contains(WRITTEN_BACK));

    // Written back again, then unlinked one by one: the backup never holds
    // it, and goes when nothing of alicred's is left.
    let text = std::fs::read_to_string(u.config()).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut v2 = v.clone();
    for p in v2["profiles"].as_array_mut().expect("profiles") {
        if p["name"] == "dev" {
            p["access_key_secret"] = WRITTEN_BACK.into();
        }
    }
    std::fs::write(u.config(), serde_json::to_string_pretty(&v2).expect("json")).expect("write");
    u.ok(&["unlink", "aliyun-cli", "ops"], "");
    no_secret_under(&u.aliyun());
    assert!(backup.exists(), "dev is still linked");
    u.ok(&["unlink", "aliyun-cli"], "");
    assert!(!backup.exists(), "the backup outlived the last link");
    no_secret_under(&u.aliyun());
    let left: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(u.config()).expect("read")).expect("json");
    assert_eq!(left["profiles"][0]["access_key_secret"], THEIR_SECRET);
}

#[test]
fn a_long_term_key_is_linked_only_when_asked_for() {
    let u = User::new();
    let out = u.run(&["link", "aliyun-cli", "key"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--allow-long-term-key") && err.contains("access-key"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!u.config().exists(), "something was written");

    // --all links the rest and says what it left out.
    let out = u.run(&["link", "aliyun-cli", "--all"], "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("key"));
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(u.config()).expect("read")).expect("json");
    let names: Vec<_> = cfg["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["dev"]);

    u.ok(&["link", "aliyun-cli", "key", "--allow-long-term-key"], "");
    let help = u.ok(&["link", "aliyun-cli", "--help"], "");
    assert!(
        help.contains("--allow-long-term-key") && help.contains("on disk"),
        "{help}"
    );
}

#[test]
fn the_external_output_always_has_an_expiration() {
    let u = User::new();
    let out = u.ok(&["export", "key", "--format", "aliyun-external"], "");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiration"].as_str().expect("expiration"))
        .expect("rfc3339");
    let ahead = exp.signed_duration_since(chrono::Utc::now());
    // The SDKs cache until 180 s before it: well past that, about an hour.
    assert!(ahead > chrono::Duration::minutes(55) && ahead <= chrono::Duration::hours(1));
}
