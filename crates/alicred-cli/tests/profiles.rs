//! The foundation end to end: all nine types added, listed, shown, used;
//! credentials for the no-network types; exec and env; and no secret in any
//! file alicred wrote or anything it printed besides `creds`/`env`/`exec`.

mod common;
use common::{Home, contains};
use serde_json::Value;

const SECRET: &str = "Sup3rSecretAccessKeySecret0001";
const TOKEN: &str = "CAIS-very-secret-security-token-0001";

fn add(home: &Home, args: &[&str], stdin: &str) {
    let out = home
        .cmd()
        .args(["profile", "add"])
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn all_nine(home: &Home) {
    let ak = format!(r#"{{"AccessKeyId":"LTAI5tTestKey0001","AccessKeySecret":"{SECRET}"}}"#);
    add(
        home,
        &["base", "--type", "access-key", "--max-key-age-days", "30"],
        &ak,
    );
    add(
        home,
        &[
            "sts",
            "--type",
            "sts-token",
            "--expiration",
            "2999-01-01T00:00:00Z",
        ],
        &format!(
            r#"{{"AccessKeyId":"STS.TestKey0001","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}"}}"#
        ),
    );
    add(
        home,
        &[
            "role",
            "--type",
            "ram-role-arn",
            "--source",
            "base",
            "--role-arn",
            "acs:ram::1234567890123456:role/admin",
            "--session-name",
            "alice",
            "--duration",
            "3600",
            "--policy",
            r#"{"Version":"1","Statement":[]}"#,
            "--external-id",
            "ext-1",
            "--sts-endpoint",
            "http://127.0.0.1:9/sts",
        ],
        "",
    );
    add(
        home,
        &[
            "chain",
            "--type",
            "ram-role-arn",
            "--source",
            "role",
            "--role-arn",
            "acs:ram::1234567890123456:role/readonly",
        ],
        "",
    );
    add(
        home,
        &[
            "ecs",
            "--type",
            "ecs-ram-role",
            "--role-name",
            "EcsRole",
            "--imdsv1-disabled",
            "--metadata-endpoint",
            "http://127.0.0.1:9/ecs",
        ],
        "",
    );
    let token_file = home.file("not-yet-mounted-token");
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "oidc",
            "--type",
            "oidc-role-arn",
            "--role-arn",
            "acs:ram::1234567890123456:role/dev",
            "--oidc-provider-arn",
            "acs:ram::1234567890123456:oidc-provider/p",
        ])
        .arg("--oidc-token-file")
        .arg(&token_file)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: oidc-token-file"),
        "a missing token file is a warning"
    );
    add(home, &["env", "--type", "environment"], "");
    add(
        home,
        &[
            "uri",
            "--type",
            "credentials-uri",
            "--uri",
            "http://127.0.0.1:9/creds",
        ],
        "",
    );
    add(
        home,
        &[
            "ext",
            "--type",
            "external",
            "--command",
            "/bin/echo '{}'",
            "--timeout-seconds",
            "5",
        ],
        "",
    );
    let ck = home.file("ck.json");
    std::fs::write(&ck, "{}").expect("write");
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "kms",
            "--type",
            "kms-secret",
            "--secret-name",
            "app-secret",
            "--client-key-password-env",
            "CK_PW",
            "--kms-endpoint",
            "http://127.0.0.1:9/kms",
        ])
        .arg("--client-key-file")
        .arg(&ck)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn all_nine_types_round_trip_and_no_secret_reaches_disk() {
    let home = Home::new();
    all_nine(&home);
    let out = home
        .cmd()
        .args(["profile", "list", "--json"])
        .output()
        .expect("list");
    assert!(out.status.success());
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let mut types: Vec<&str> = list
        .iter()
        .map(|p| p["type"].as_str().expect("type"))
        .collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), 9, "{types:?}");
    let base = list.iter().find(|p| p["name"] == "base").expect("base");
    assert_eq!(base["active"], true, "the first profile becomes active");
    assert_eq!(base["has_secret"], true);
    assert_eq!(base["access_key_id_hint"], "LTAI…0001");

    home.cmd().args(["use", "role"]).assert().success();
    let show: Value = serde_json::from_slice(
        &home
            .cmd()
            .args(["profile", "show", "role", "--json"])
            .output()
            .expect("show")
            .stdout,
    )
    .expect("json");
    assert_eq!(show["active"], true);
    assert_eq!(show["source"], "base");
    assert_eq!(show["duration_seconds"], 3600);
    assert_eq!(show["endpoints"]["sts"], "http://127.0.0.1:9/sts");

    // Nothing alicred printed for list/show carries a secret, and no file does.
    let printed = [
        home.cmd()
            .args(["profile", "list"])
            .output()
            .expect("list")
            .stdout,
        home.cmd()
            .args(["-vvv", "profile", "show", "sts"])
            .output()
            .expect("show")
            .stdout,
        home.cmd()
            .args(["-vvv", "profile", "show", "sts"])
            .output()
            .expect("show")
            .stderr,
    ];
    for bytes in printed.iter() {
        assert!(!contains(bytes, SECRET) && !contains(bytes, TOKEN));
    }
    for (path, bytes) in home.all_written_bytes() {
        assert!(
            !contains(&bytes, SECRET) && !contains(&bytes, TOKEN),
            "secret found in {}",
            path.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.file("profiles.toml"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A profile others chain on cannot go; the chain's end can, and its secret with it.
    home.cmd()
        .args(["profile", "remove", "chain"])
        .assert()
        .success();
    home.cmd()
        .args(["profile", "remove", "sts"])
        .assert()
        .success();
    let out = home
        .cmd()
        .args(["creds", "sts", "--json"])
        .output()
        .expect("creds");
    assert_eq!(out.status.code(), Some(2), "removed profile is gone");
}

#[test]
fn creds_exec_and_env_for_static_profiles() {
    let home = Home::new();
    all_nine(&home);
    let out = home
        .cmd()
        .args(["creds", "sts", "--json"])
        .output()
        .expect("creds");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["Code"], "Success");
    assert_eq!(v["AccessKeyId"], "STS.TestKey0001");
    assert_eq!(v["AccessKeySecret"], SECRET);
    assert_eq!(v["SecurityToken"], TOKEN);
    assert_eq!(v["Expiration"], "2999-01-01T00:00:00Z");

    let v: Value = serde_json::from_slice(
        &home
            .cmd()
            .args(["creds", "base", "--json"])
            .output()
            .expect("creds")
            .stdout,
    )
    .expect("json");
    assert_eq!(
        v["SecurityToken"], "",
        "long-term keys serve an empty token"
    );
    let exp = v["Expiration"].as_str().expect("exp");
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");

    // environment: the agent's own variables.
    let out = home
        .cmd()
        .args(["creds", "env", "--json"])
        .env("OSS_ACCESS_KEY_ID", "LTAI5tFromOssEnv")
        .env("OSS_ACCESS_KEY_SECRET", "oss-env-secret")
        .output()
        .expect("creds");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["AccessKeyId"], "LTAI5tFromOssEnv");

    // exec: inherited variables are replaced, and the exit code passes through.
    let out = home
        .cmd()
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "inherited-should-vanish")
        .env("OSS_SESSION_TOKEN", "inherited-token")
        .args(["exec", "base", "--", "sh", "-c", "echo id=$ALIBABA_CLOUD_ACCESS_KEY_ID oss=$OSS_ACCESS_KEY_ID tok=[$OSS_SESSION_TOKEN]; exit 7"])
        .output()
        .expect("exec");
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("id=LTAI5tTestKey0001 oss=LTAI5tTestKey0001 tok=[]"),
        "{text}"
    );

    let out = home
        .cmd()
        .args(["env", "sts", "--shell", "fish"])
        .output()
        .expect("env");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("set -gx ALIBABA_CLOUD_SECURITY_TOKEN"),
        "{text}"
    );
    let out = home
        .cmd()
        .args(["env", "sts", "--shell", "powershell"])
        .output()
        .expect("env");
    assert!(String::from_utf8_lossy(&out.stdout).contains("$Env:OSS_SESSION_TOKEN = '"));

    // An expired pasted token is never served.
    add(
        &home,
        &[
            "old",
            "--type",
            "sts-token",
            "--expiration",
            "2001-01-01T00:00:00Z",
        ],
        &format!(
            r#"{{"AccessKeyId":"STS.Old","AccessKeySecret":"{SECRET}","SecurityToken":"{TOKEN}"}}"#
        ),
    );
    let out = home
        .cmd()
        .args(["creds", "old", "--json"])
        .output()
        .expect("creds");
    assert_eq!(out.status.code(), Some(1));
    assert!(!contains(&out.stdout, SECRET));
    // The core says a new token is needed; the CLI says how, in its own flags.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("expired at") && err.contains("paste a new one"),
        "{err}"
    );
    assert!(
        err.contains("`alicred profile add old --type sts-token --from-env --replace`"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = home
            .cmd()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success());
        assert!(
            contains(&out.stdout, "rotate") && contains(&out.stdout, "profile"),
            "{shell}"
        );
    }
    let out = home.cmd().arg("man").output().expect("run");
    assert!(contains(&out.stdout, ".TH alicred"));
}

#[test]
fn a_reader_that_goes_away_ends_a_printing_command_quietly() {
    // `alicred profile list | head`: the pipe's reader is gone before the
    // first write. Before: a panic ("failed printing to stdout") and exit 101.
    use std::os::unix::process::ExitStatusExt;
    let home = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("alicred");
    for args in [&["profile", "list"][..], &["completions", "bash"][..]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(&bin)
            .args(args)
            .env("ALICRED_HOME", home.path())
            .env("ALICRED_KEYRING", common::backend())
            .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), Some(SIGPIPE), "{args:?}: {out:?}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

const SIGPIPE: i32 = 13; // on Linux

/// A bearer-token profile from the CLI: the token from stdin (never an
/// argument) goes to the keyring through the core, `exec` hands it to a tool
/// in the aliyun CLI's variables, and a missing token is a one-line usage
/// error that saves nothing.
#[test]
fn a_bearer_token_profile_is_added_from_stdin_and_handed_to_a_tool() {
    const BEARER: &str = "bearer-very-secret-token-0001";
    let home = Home::new();
    let out = home
        .cmd()
        .args(["profile", "add", "pai", "--type", "bearer-token"])
        .write_stdin("")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("needs its token") && err.contains("--from-env"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let list = home.cmd().args(["profile", "list"]).output().expect("list");
    assert!(!String::from_utf8_lossy(&list.stdout).contains("pai"));

    add(
        &home,
        &["pai", "--type", "bearer-token"],
        &format!("{BEARER}\r\n"),
    );
    let out = home
        .cmd()
        .args([
            "exec",
            "pai",
            "--",
            "sh",
            "-c",
            "echo tok=[$ALIBABA_CLOUD_BEARER_TOKEN]",
        ])
        .output()
        .expect("exec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("tok=[{BEARER}]")),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (path, bytes) in home.all_written_bytes() {
        assert!(
            !contains(&bytes, BEARER),
            "the token is in {}",
            path.display()
        );
    }
}
