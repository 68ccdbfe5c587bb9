//! Table-driven: every bad input ends in one actionable line, the promised
//! exit code, and changes nothing: each row runs in its own home seeded with
//! its own secret, and the whole home tree and the whole Secret Service
//! collection are the same after the row as before. The row's secret shows
//! up nowhere (output, files).

mod common;
use common::{Home, keyring_item, keyring_snapshot};
use std::sync::Mutex;

/// The keyring snapshot covers the whole collection: tests here that write
/// to it take turns.
static KEYRING: Mutex<()> = Mutex::new(());

struct Case {
    what: &'static str,
    args: &'static [&'static str],
    /// `{S}` stands for the row's own secret.
    stdin: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    code: i32,
    says: &'static str,
}

const AK: &str = r#"{"AccessKeyId":"LTAI5tGoodKeyId0001","AccessKeySecret":"{S}"}"#;

// One bad input per line: a table reads better than rustfmt's layout.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |what, args, stdin, env, code, says| Case {
        what,
        args,
        stdin,
        env,
        code,
        says,
    };
    vec![
        c("unknown command", &["frobnicate"], None, &[], 2, "unrecognized subcommand"),
        c("missing --type", &["profile", "add", "x"], None, &[], 2, "--type"),
        c("unknown type", &["profile", "add", "x", "--type", "magic"], None, &[], 2, "unknown profile type"),
        c("bad profile name", &["profile", "add", "bad name", "--type", "environment"], None, &[], 2, "profile name"),
        c("name starting with dash", &["profile", "add", "--type", "environment", "--", "-x"], None, &[], 2, "profile name \"-x\" is invalid"),
        c("role arn shape", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "arn:aws:iam::1:role/x"], None, &[], 2, "role-arn"),
        c("role arn account", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::abc:role/x"], None, &[], 2, "account id"),
        c("session name charset", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--session-name", "has space"], None, &[], 2, "session-name"),
        c("session name too short", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--session-name", "a"], None, &[], 2, "session-name"),
        c("duration too short", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--duration", "899"], None, &[], 2, "900 to 43200"),
        c("duration too long", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--duration", "43201"], None, &[], 2, "900 to 43200"),
        c("duration not a number", &["profile", "add", "r", "--type", "ram-role-arn", "--duration", "soon"], None, &[], 2, "--duration"),
        c("policy not JSON", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--policy", "{not json"], None, &[], 2, "policy: is not valid JSON"),
        c("policy not an object", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--policy", "[1]"], None, &[], 2, "JSON object"),
        c("external id charset", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--external-id", "no spaces allowed"], None, &[], 2, "external-id"),
        c("missing source", &["profile", "add", "r", "--type", "ram-role-arn", "--role-arn", "acs:ram::1234567890123456:role/admin"], None, &[], 2, "source: is required"),
        c("unknown source", &["profile", "add", "r", "--type", "ram-role-arn", "--source", "ghost", "--role-arn", "acs:ram::1234567890123456:role/admin"], None, &[], 2, "source profile ghost does not exist"),
        c("self source", &["profile", "add", "base", "--type", "ram-role-arn", "--source", "base", "--role-arn", "acs:ram::1234567890123456:role/admin", "--replace"], None, &[], 2, "own source"),
        c("flag for another type", &["profile", "add", "e", "--type", "environment", "--role-arn", "acs:ram::1234567890123456:role/admin"], None, &[], 2, "does not apply"),
        c("uri not a URL", &["profile", "add", "u", "--type", "credentials-uri", "--uri", "not a url"], None, &[], 2, "is not a URL"),
        c("uri wrong scheme", &["profile", "add", "u", "--type", "credentials-uri", "--uri", "ftp://127.0.0.1/x"], None, &[], 2, "http:// or https://"),
        c("endpoint not a URL", &["profile", "add", "k", "--type", "access-key", "--sts-endpoint", "sts"], Some(AK), &[], 2, "sts-endpoint"),
        c("oidc provider arn", &["profile", "add", "o", "--type", "oidc-role-arn", "--role-arn", "acs:ram::1234567890123456:role/admin", "--oidc-provider-arn", "acs:ram::1:role/x", "--oidc-token-file", "/tmp/t"], None, &[], 2, "OIDC provider ARN"),
        c("oidc token file relative", &["profile", "add", "o", "--type", "oidc-role-arn", "--role-arn", "acs:ram::1234567890123456:role/admin", "--oidc-provider-arn", "acs:ram::1234567890123456:oidc-provider/p", "--oidc-token-file", "token"], None, &[], 2, "absolute path"),
        c("client key file missing", &["profile", "add", "k", "--type", "kms-secret", "--secret-name", "s", "--client-key-file", "/nonexistent/ck.json", "--client-key-password-env", "PW", "--kms-endpoint", "http://127.0.0.1:1/kms"], None, &[], 2, "cannot be read"),
        c("client key password both", &["profile", "add", "k", "--type", "kms-secret", "--secret-name", "s", "--client-key-file", "/etc/hostname", "--client-key-password-env", "PW", "--client-key-password-file", "/etc/hostname"], None, &[], 2, "not both"),
        c("password env name", &["profile", "add", "k", "--type", "kms-secret", "--secret-name", "s", "--client-key-file", "/etc/hostname", "--client-key-password-env", "1BAD-NAME"], None, &[], 2, "environment variable name"),
        c("external command unterminated quote", &["profile", "add", "x", "--type", "external", "--command", "printf 'oops"], None, &[], 2, "unterminated"),
        c("external timeout", &["profile", "add", "x", "--type", "external", "--command", "true", "--timeout-seconds", "0"], None, &[], 2, "timeout-seconds"),
        c("region", &["profile", "add", "e", "--type", "environment", "--region", "Hangzhou"], None, &[], 2, "region id"),
        c("sts expiration format", &["profile", "add", "s", "--type", "sts-token", "--expiration", "tomorrow"], Some(r#"{"AccessKeyId":"STS.x","AccessKeySecret":"{S}","SecurityToken":"z"}"#), &[], 2, "YYYY-MM-DDThh:mm:ssZ"),
        c("secret JSON invalid", &["profile", "add", "k", "--type", "access-key"], Some("{AccessKeyId: nope, AccessKeySecret: {S}"), &[], 2, "secret JSON on stdin is invalid"),
        c("secret JSON missing secret", &["profile", "add", "k", "--type", "access-key"], Some(r#"{"AccessKeyId":"LTAI5tX"}"#), &[], 2, "AccessKeySecret"),
        c("secret JSON unknown field", &["profile", "add", "k", "--type", "access-key"], Some(r#"{"AccessKeyId":"LTAI5tX","AccessKeySecret":"{S}","Extra":1}"#), &[], 2, "unknown field"),
        c("secret stdin empty", &["profile", "add", "k", "--type", "access-key"], Some(""), &[], 2, "stdin was empty"),
        c("token on an access-key", &["profile", "add", "k", "--type", "access-key"], Some(r#"{"AccessKeyId":"LTAI5tX","AccessKeySecret":"{S}","SecurityToken":"t"}"#), &[], 2, "--type sts-token"),
        c("sts-token without token", &["profile", "add", "s", "--type", "sts-token"], Some(r#"{"AccessKeyId":"STS.x","AccessKeySecret":"{S}"}"#), &[], 2, "needs SecurityToken"),
        c("--from-env without vars", &["profile", "add", "k", "--type", "access-key", "--from-env"], None, &[], 2, "--from-env needs"),
        c("--from-env for a type without secret", &["profile", "add", "e", "--type", "environment", "--from-env"], None, &[("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tX"), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "{S}")], 2, "takes no secret"),
        c("duplicate name", &["profile", "add", "base", "--type", "access-key"], Some(AK), &[], 1, "already exists"),
        c("use unknown", &["use", "ghost"], None, &[], 2, "does not exist"),
        c("show unknown", &["profile", "show", "ghost"], None, &[], 2, "does not exist"),
        c("remove a source", &["profile", "remove", "base"], None, &[], 1, "is the source of chained"),
        c("exec without command", &["exec", "base"], None, &[], 2, "CMD"),
        c("keyring backend unknown", &["profile", "add", "e2", "--type", "environment"], None, &[("ALICRED_KEYRING", "vault")], 2, "unknown keyring backend"),
        c("encrypted file without passphrase", &["profile", "add", "k2", "--type", "access-key"], Some(AK), &[("ALICRED_KEYRING", "encrypted-file"), ("ALICRED_KEYRING_PASSPHRASE", "")], 1, "ALICRED_KEYRING_PASSPHRASE"),
        c("secret service unreachable", &["profile", "add", "k3", "--type", "access-key"], Some(AK), &[("ALICRED_KEYRING", "secret-service"), ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")], 1, "ALICRED_KEYRING=keyutils|encrypted-file"),
    ]
}

/// A fresh home with `base` (access-key holding `secret`) and `chained`
/// (ram-role-arn on base).
fn seeded(secret: &str) -> Home {
    let home = Home::new();
    home.cmd()
        .args(["profile", "add", "base", "--type", "access-key"])
        .write_stdin(AK.replace("{S}", secret))
        .assert()
        .success();
    home.cmd()
        .args([
            "profile",
            "add",
            "chained",
            "--type",
            "ram-role-arn",
            "--source",
            "base",
            "--role-arn",
            "acs:ram::1234567890123456:role/admin",
        ])
        .assert()
        .success();
    home
}

/// Drop a home's items from the shared collection (they would slow every
/// later snapshot down).
fn forget(home: &Home) {
    if common::backend() == "secret-service" {
        let _ = std::process::Command::new("secret-tool")
            .args(["clear", "service"])
            .arg(format!("alicred:{}", home.path().display()))
            .status();
    }
}

/// A secret no other row uses.
fn row_secret(i: usize) -> String {
    format!("row{i:02}-{:08x}-SECRET", std::process::id())
}

#[test]
fn every_bad_input_is_one_clear_line_and_changes_nothing() {
    let _turn = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "the table must cover at least 30 bad inputs"
    );
    // An empty expectation matches any output: every row names what it expects.
    let vague: Vec<&str> = cases
        .iter()
        .filter(|c| c.says.is_empty())
        .map(|c| c.what)
        .collect();
    assert!(
        vague.is_empty(),
        "rows that expect no particular message: {vague:?}"
    );
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let secret = row_secret(i);
        let home = seeded(&secret);
        let tree = home.tree();
        let keyring = keyring_snapshot();
        // The snapshot sees this home's items (it is not vacuously equal).
        let ours = format!("alicred:{}", home.path().display());
        assert_eq!(
            keyring
                .iter()
                .any(|i| i.contains(&ours) && i.contains(&secret)),
            common::backend() == "secret-service",
            "the keyring snapshot does not show the seeded secret"
        );
        let mut cmd = home.cmd();
        cmd.args(case.args);
        for (k, v) in case.env {
            cmd.env(k, v.replace("{S}", &secret));
        }
        cmd.write_stdin(case.stdin.unwrap_or("").replace("{S}", &secret));
        let out = cmd.output().expect("run alicred");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code().unwrap_or(-1);
        let first_lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        // clap's own usage errors add a "Usage:" block; ours are exactly one line.
        let ours = !stderr.contains("Usage:");
        if code != case.code {
            failures.push(format!(
                "{}: exit {code}, want {} — {stderr}",
                case.what, case.code
            ));
        } else if !stderr.contains(case.says) {
            failures.push(format!(
                "{}: stderr lacks {:?}: {stderr}",
                case.what, case.says
            ));
        } else if ours && first_lines.len() != 1 {
            failures.push(format!(
                "{}: want one line, got {}: {stderr}",
                case.what,
                first_lines.len()
            ));
        }
        if stderr.contains(&secret) || stdout.contains(&secret) {
            failures.push(format!("{}: printed the secret", case.what));
        }
        let after = home.tree();
        if after != tree {
            let changed: Vec<_> = after
                .keys()
                .chain(tree.keys())
                .filter(|k| after.get(*k) != tree.get(*k))
                .collect();
            failures.push(format!("{}: changed the home: {changed:?}", case.what));
        }
        for (path, bytes) in home.all_written_bytes() {
            if common::contains(&bytes, &secret) {
                failures.push(format!(
                    "{}: the secret is in {}",
                    case.what,
                    path.display()
                ));
            }
        }
        if keyring_snapshot() != keyring {
            failures.push(format!(
                "{}: changed the Secret Service collection",
                case.what
            ));
        }
        forget(&home);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The profiles write fails after the new secret went to the keyring (here:
/// the profiles lock cannot be opened, as when `locks/profiles.lock` is not
/// a file): the previous secret is put back, a new profile's secret is
/// removed, and the home is as it was.
#[test]
fn a_failed_profiles_write_puts_the_previous_secret_back() {
    let _turn = KEYRING.lock().unwrap_or_else(|p| p.into_inner());
    let (old, new) = ("restore-OLD-secret-0001", "restore-NEW-secret-0002");
    let home = seeded(old);
    let lock = home.path().join("locks").join("profiles.lock");
    std::fs::remove_file(&lock).expect("the seeded home has a profiles lock");
    std::fs::create_dir(&lock).expect("a directory where the lock file goes");
    let tree = home.tree();
    let stored_before = stored(&home, "base");
    assert!(stored_before.contains(old), "seeded with the old secret");
    for (args, what) in [
        (
            &[
                "profile",
                "add",
                "base",
                "--type",
                "access-key",
                "--replace",
            ][..],
            "replace",
        ),
        (
            &["profile", "add", "other", "--type", "access-key"][..],
            "add",
        ),
    ] {
        let out = home
            .cmd()
            .args(args)
            .write_stdin(AK.replace("{S}", new))
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
        assert!(
            err.contains("profiles.lock") || err.contains("lock"),
            "{what}: {err}"
        );
        assert!(!err.contains(new) && !err.contains(old), "{what}: {err}");
        assert_eq!(
            stored(&home, "base"),
            stored_before,
            "{what}: base's secret"
        );
        assert_eq!(stored(&home, "other"), "", "{what}: other's secret");
        assert_eq!(home.tree(), tree, "{what}: the home changed");
    }
    forget(&home);
}

/// The secret a profile hands out ("" when it has none), as a child of
/// `alicred exec` sees it: whatever the store.
fn stored(home: &Home, profile: &str) -> String {
    if common::backend() == "secret-service" && keyring_item(home, profile).is_none() {
        return String::new();
    }
    let out = home
        .cmd()
        .args([
            "exec",
            profile,
            "--",
            "printenv",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ])
        .output()
        .expect("exec");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_corrupt_profiles_file_is_reported_with_its_position_and_kept() {
    let home = Home::new();
    std::fs::create_dir_all(home.path()).expect("home");
    let bad = "version = 1\n[[profile]]\nname = \"x\"\ntype = \"access-key\"\nmax_key_age_days = \"ninety\"\n";
    std::fs::write(home.file("profiles.toml"), bad).expect("write");
    for args in [
        &["profile", "list"][..],
        &["profile", "add", "y", "--type", "environment"][..],
        &["use", "x"][..],
    ] {
        let out = home.cmd().args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("line 5"), "{args:?}: {err}");
        assert!(err.contains("will not overwrite"), "{args:?}: {err}");
        assert_eq!(
            std::fs::read_to_string(home.file("profiles.toml")).expect("read"),
            bad
        );
    }
}

#[test]
fn a_newer_profiles_file_asks_for_an_upgrade() {
    let home = Home::new();
    std::fs::write(home.file("profiles.toml"), "version = 7\n").expect("write");
    let out = home.cmd().args(["profile", "list"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("upgrade alicred"));
}
