//! `alicred prompt` against a real agent: the status file it keeps, each
//! state as a prompt shows it, `ALICRED_PROFILE` (set by `exec`), and no
//! agent at all.

mod common;

use common::Home;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("alicred")
}

fn std_cmd(home: &Home) -> Command {
    let mut c = Command::new(bin());
    c.env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
        .env_remove("ALICRED_PROFILE")
        .env_remove("ALIBABA_CLOUD_PROFILE");
    c
}

fn prompt(home: &Home, profile: Option<&str>, args: &[&str]) -> String {
    let mut c = std_cmd(home);
    c.arg("prompt").args(args);
    if let Some(p) = profile {
        c.env("ALICRED_PROFILE", p);
    }
    let out = c.output().expect("alicred prompt runs");
    assert!(out.status.success(), "prompt exits 0");
    assert!(out.stderr.is_empty(), "no noise: {:?}", out.stderr);
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Poll the prompt until it prints `want` (the agent writes on events).
fn wait_prompt(home: &Home, profile: Option<&str>, want: &str) {
    let t = Instant::now();
    let mut last = String::new();
    while t.elapsed() < Duration::from_secs(20) {
        last = prompt(home, profile, &[]);
        if last == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("prompt for {profile:?}: wanted {want:?}, last {last:?}");
}

fn add_sts(home: &Home, name: &str, expires_in: chrono::Duration) {
    let exp = (chrono::Utc::now() + expires_in).format("%Y-%m-%dT%H:%M:%SZ");
    home.cmd()
        .args(["profile", "add", name, "--type", "sts-token"])
        .args(["--expiration", &exp.to_string()])
        .write_stdin(
            r#"{"AccessKeyId":"STS.prompt0001","AccessKeySecret":"promptsecret","SecurityToken":"prompttoken"}"#,
        )
        .assert()
        .success();
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prompt_shows_each_state_of_the_running_agent() {
    let home = Home::new();
    // First added: the active profile, 42.5 minutes left.
    add_sts(&home, "prod-admin", chrono::Duration::seconds(42 * 60 + 30));
    add_sts(&home, "stale", chrono::Duration::seconds(-60));
    // STS unreachable (nothing listens on the discard port): expired, retrying.
    home.cmd()
        .args(["profile", "add", "down", "--type", "ram-role-arn"])
        .args(["--source", "prod-admin", "--role-arn", "acs:ram::1:role/x"])
        .args(["--sts-endpoint", "http://127.0.0.1:9"])
        .assert()
        .success();

    // No agent: nothing, and quickly.
    assert_eq!(prompt(&home, None, &[]), "");
    assert_eq!(prompt(&home, Some("prod-admin"), &[]), "");

    let agent = Agent(
        std_cmd(&home)
            .args(["agent", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("agent starts"),
    );
    wait_prompt(&home, None, "prod-admin 42m\n");
    wait_prompt(&home, Some("stale"), "stale ⚠ sign in\n");
    wait_prompt(&home, Some("down"), "down ⚠ expired\n");
    assert_eq!(prompt(&home, Some("ghost"), &[]), "", "unknown profile");
    assert_eq!(
        prompt(&home, None, &["--format", "[{profile}|{state}|{left}]"]),
        "[prod-admin|fresh|42m]\n"
    );

    let status = std::fs::read_to_string(home.file("status")).expect("status file");
    assert!(!status.contains("promptsecret") && !status.contains("prompttoken"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.file("status"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // `alicred use` moves the prompt (the agent follows the profiles file).
    home.cmd().args(["use", "stale"]).assert().success();
    wait_prompt(&home, None, "stale ⚠ sign in\n");

    // A subshell started by `exec` shows its own profile, not the active one.
    let out = std_cmd(&home)
        .args(["exec", "prod-admin", "--"])
        .arg(bin())
        .arg("prompt")
        .output()
        .expect("exec runs");
    assert!(out.status.success(), "{:?}", out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "prod-admin 42m\n");

    // A dead agent's file is not believed.
    drop(agent);
    assert!(home.file("status").exists(), "killed: no clean-up ran");
    assert_eq!(prompt(&home, None, &[]), "");
}

#[test]
fn a_stopped_agent_removes_its_status_file() {
    let home = Home::new();
    add_sts(&home, "dev", chrono::Duration::hours(3));
    let mut agent = Agent(
        std_cmd(&home)
            .args(["agent", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("agent starts"),
    );
    wait_prompt(&home, None, "dev 2h59m\n");
    // SIGTERM: the agent stops cleanly.
    Command::new("kill")
        .arg(agent.0.id().to_string())
        .status()
        .expect("kill");
    let _ = agent.0.wait();
    assert!(!home.file("status").exists());
    assert_eq!(prompt(&home, None, &[]), "");
}
