//! The keyring passphrase (and every ALICRED_KEYRING* setting) never reaches
//! a process alicred starts, yet an `external` command that is alicred
//! itself still works through the running agent's local channel. And a
//! credentials-URI token stays in the keyring.

mod common;
use common::{Home, contains};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const AK: &str =
    r#"{"AccessKeyId":"LTAI5tIsolation0001","AccessKeySecret":"IsolationSecret0000000000000001"}"#;
const PASSPHRASE: &str = "test-passphrase";

fn encrypted_home() -> Home {
    let home = Home::with_backend("encrypted-file");
    let out = home
        .cmd()
        .args(["profile", "add", "ak", "--type", "access-key"])
        .write_stdin(AK)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    home
}

fn keyring_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("ALICRED_KEYRING"))
        .collect()
}

#[test]
fn an_exec_child_gets_no_keyring_variable() {
    let home = encrypted_home();
    let pass_file = home.file("pass");
    std::fs::write(&pass_file, PASSPHRASE).expect("write");
    let out = home
        .cmd()
        .env("ALICRED_KEYRING_PASSPHRASE_FILE", &pass_file)
        .env("ALICRED_KEYRING_EXTRA", "x")
        .args(["exec", "ak", "--", "env"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(
        env.contains("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tIsolation0001"),
        "{env}"
    );
    assert_eq!(keyring_lines(&env), Vec::<&str>::new());
    assert!(!env.contains(PASSPHRASE));
}

/// An external command that writes its environment to `dump` and prints
/// fixed credentials.
fn dumping_command(dump: &Path) -> String {
    format!(
        r#"sh -c "env > '{}'; printf '%s' '{{\"mode\":\"AK\",\"access_key_id\":\"LTAI5tDump\",\"access_key_secret\":\"DumpSecret\"}}'""#,
        dump.display()
    )
}

#[test]
fn an_external_command_gets_no_keyring_variable() {
    let home = encrypted_home();
    let dump = home.file("external-env");
    let out = home
        .cmd()
        .args(["profile", "add", "ext", "--type", "external", "--command"])
        .arg(dumping_command(&dump))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = home
        .cmd()
        .args(["creds", "ext", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(contains(&out.stdout, "LTAI5tDump"));
    let env = std::fs::read_to_string(&dump).expect("the command ran");
    assert!(env.contains("ALICRED_HOME="), "{env}");
    assert_eq!(keyring_lines(&env), Vec::<&str>::new());
    assert!(!env.contains(PASSPHRASE));
}

/// `alicred agent` on a free port, killed (by its pid) when dropped.
struct AgentProc(Child);

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_agent(home: &Home) -> AgentProc {
    let child = Command::new(assert_cmd::cargo::cargo_bin("alicred"))
        .env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", PASSPHRASE)
        .args(["agent", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the agent");
    let agent = AgentProc(child);
    let sock = home.path().join("run").join("agent.sock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "the agent's socket never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    agent
}

#[test]
fn an_external_alicred_export_works_through_the_agent_without_the_passphrase() {
    let home = encrypted_home();
    let alicred = assert_cmd::cargo::cargo_bin("alicred");
    let command = format!("'{}' export ak --format aliyun-external", alicred.display());
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "ext",
            "--type",
            "external",
            "--command",
            &command,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No agent: the child alicred has no passphrase, so it cannot open the store.
    let out = home
        .cmd()
        .args(["creds", "ext", "--json"])
        .output()
        .expect("run");
    assert!(
        !out.status.success(),
        "the child must not have the passphrase"
    );
    assert!(!contains(&out.stdout, "IsolationSecret"));

    let _agent = start_agent(&home);
    let out = home
        .cmd()
        .args(["creds", "ext", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(contains(&out.stdout, "LTAI5tIsolation0001"));
    assert!(contains(&out.stdout, "IsolationSecret0000000000000001"));
    // The same export run with no keyring variable at all asks the agent.
    let out = Command::new(&alicred)
        .env("ALICRED_HOME", home.path())
        .env_remove("ALICRED_KEYRING")
        .env_remove("ALICRED_KEYRING_PASSPHRASE")
        .args(["export", "ak", "--format", "aliyun-external"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(contains(&out.stdout, "LTAI5tIsolation0001"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&home.path().join("run")), 0o700);
        assert_eq!(mode(&home.path().join("run").join("agent.sock")), 0o600);
    }
}

#[test]
fn a_credentials_uri_token_stays_in_the_keyring() {
    let home = encrypted_home();
    const TOKEN: &str = "Tok3nInTheQueryString0001";
    const USERINFO: &str = "Us3rPassw0rd0001";
    let uri = format!("http://user:{USERINFO}@127.0.0.1:9/v1/creds?token={TOKEN}#frag");
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "cu",
            "--type",
            "credentials-uri",
            "--uri",
            &uri,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = [
        home.cmd()
            .args(["profile", "show", "cu", "--json"])
            .output()
            .expect("run"),
        home.cmd()
            .args(["profile", "list", "--json"])
            .output()
            .expect("run"),
        home.cmd()
            .args(["profile", "show", "cu"])
            .output()
            .expect("run"),
    ];
    for out in &shown {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("http://127.0.0.1:9/v1/creds"), "{text}");
        assert!(!text.contains(TOKEN) && !text.contains(USERINFO), "{text}");
    }
    for (path, bytes) in home.all_written_bytes() {
        assert!(
            !contains(&bytes, TOKEN) && !contains(&bytes, USERINFO),
            "{} holds the token",
            path.display()
        );
    }
    let profiles = std::fs::read_to_string(home.file("profiles.toml")).expect("profiles");
    assert!(
        profiles.contains("uri = \"http://127.0.0.1:9/v1/creds\""),
        "{profiles}"
    );
}
