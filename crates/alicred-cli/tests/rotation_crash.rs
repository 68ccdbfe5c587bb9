//! Crash safety of `alicred rotate`, with the real binary and a real keyring
//! backend: for each step boundary, stop the process there with `kill -9`
//! (while the emulator hangs the next RAM/STS call) or with the
//! `ALICRED_TEST_CRASH_AT` abort hook (boundaries between local writes, or
//! right after a RAM call succeeded), then check:
//!
//! - before any restart, the profile's stored key works (`alicred verify`),
//!   the user has at most two keys and the stored key is Active in RAM;
//! - a restart (`alicred rotate NAME --yes --delete-old`, which resumes
//!   interrupted rotations first) resumes or rolls back, says which, and ends
//!   with one working key, a closed journal and no pending key left in the
//!   keyring;
//! - no secret the emulator ever issued is in any child's output (the killed
//!   one's included) or in any file alicred wrote ([`SecretScan`]).

mod common;

use alicred_fakecloud::{
    AccessKeyPair, FakeCloud, FakeCloudConfig, FakeCloudHandle, FaultKind, FaultSpec, KeyStatus,
    Service,
};
use common::{Home, SecretScan, keyring_has};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "alice";

struct Case {
    /// Hang this action of this service (the step's call never answers)...
    hang: Option<(Service, &'static str)>,
    /// ...or abort at this hook point.
    crash_at: Option<&'static str>,
    /// The journal step the process is stopped at.
    step: &'static str,
    /// Whether the restart rolls the interrupted rotation forward.
    completes: bool,
    /// Keys the user has at the crash, and whether the profile already holds the new one.
    keys_at_crash: usize,
    switched_at_crash: bool,
    /// Give the user a second, inactive key first (`--yes` consents to deleting it).
    inactive_second_key: bool,
}

struct World {
    cloud: FakeCloudHandle,
    home: Home,
    first: AccessKeyPair,
    scan: SecretScan,
}

fn std_cmd(home: &Home) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("alicred"));
    c.env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
        .env_remove("ALICRED_TEST_CRASH_AT")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_PROFILE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

fn run(home: &Home, args: &[&str]) -> Output {
    std_cmd(home).args(args).output().expect("alicred runs")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl World {
    fn new() -> Self {
        let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
        let first = cloud.create_user(USER).expect("user");
        let home = Home::new();
        let out = home
            .cmd()
            .args(["profile", "add", "dev", "--type", "access-key"])
            .args(["--sts-endpoint", &cloud.sts_url()])
            .args(["--ram-endpoint", &cloud.ram_url()])
            .write_stdin(format!(
                r#"{{"AccessKeyId":"{}","AccessKeySecret":"{}"}}"#,
                first.access_key_id, first.access_key_secret
            ))
            .output()
            .expect("add");
        assert!(out.status.success(), "{}", text(&out));
        Self {
            cloud,
            home,
            first,
            scan: SecretScan::default(),
        }
    }

    /// Run alicred and record its output for the secret scan.
    fn run(&self, args: &[&str]) -> Output {
        let out = run(&self.home, args);
        // `creds` prints the credentials: that is its job.
        self.scan.record(&args.join(" "), &out, args[0] == "creds");
        out
    }

    fn journal(&self) -> Option<Value> {
        let bytes = std::fs::read(self.home.file("rotation/dev.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn step(&self) -> Option<String> {
        self.journal()
            .and_then(|j| j["step"].as_str().map(str::to_string))
    }

    fn stored_key_id(&self) -> String {
        let out = self.run(&["creds", "dev", "--json"]);
        assert!(out.status.success(), "{}", text(&out));
        let v: Value = serde_json::from_slice(&out.stdout).expect("creds json");
        v["AccessKeyId"].as_str().expect("AccessKeyId").to_string()
    }

    /// The invariants that must hold at every moment.
    fn assert_invariants(&self, when: &str) {
        let out = self.run(&["verify", "dev"]);
        assert!(
            out.status.success(),
            "{when}: the stored key must work\n{}",
            text(&out)
        );
        let keys = self.cloud.list_access_keys(Some(USER)).expect("keys");
        assert!(keys.len() <= 2, "{when}: at most two keys: {keys:?}");
        let id = self.stored_key_id();
        let mine = keys.iter().find(|k| k.access_key_id == id);
        assert!(
            mine.is_some_and(|k| k.status == KeyStatus::Active),
            "{when}: the stored key {id} must exist and be Active: {keys:?}"
        );
    }
}

fn crash_case(c: Case) {
    let w = World::new();
    if c.inactive_second_key {
        let other = w.cloud.create_access_key(Some(USER)).expect("second key");
        w.cloud
            .set_access_key_status(&other.access_key_id, KeyStatus::Inactive)
            .expect("deactivate");
    }
    let mut cmd = std_cmd(&w.home);
    cmd.args(["rotate", "dev", "--yes", "--delete-old"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((service, action)) = c.hang {
        w.cloud.set_fault(
            FaultSpec::new(FaultKind::Hang)
                .service(service)
                .action(action),
        );
    }
    if let Some(point) = c.crash_at {
        if !cfg!(feature = "test-hooks") {
            panic!(
                "this case needs the ALICRED_TEST_CRASH_AT hook: run with --features alicred-cli/test-hooks (scripts/test.sh does)"
            );
        }
        cmd.env("ALICRED_TEST_CRASH_AT", point);
    }
    let mut child = cmd.spawn().expect("spawn rotate");
    let deadline = Instant::now() + Duration::from_secs(60);
    if let Some((service, action)) = c.hang {
        // Wait until the journal shows the step (its call is now hanging), then kill -9.
        while w.step().as_deref() != Some(c.step) {
            if let Ok(Some(status)) = child.try_wait() {
                let out = child.wait_with_output().expect("output");
                w.scan.record("rotate (exited early)", &out, false);
                panic!(
                    "rotate exited early ({status:?}) before step {}: {}",
                    c.step,
                    text(&out)
                );
            }
            assert!(
                Instant::now() < deadline,
                "never reached {}: {:?}",
                c.step,
                w.journal()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The journal is written before the call: wait for the emulator to
        // have the call in hand (its hang fault applied), then kill -9.
        let key = format!("{}:{action}", service.as_str());
        while w.cloud.counters().faults.get(&key).copied().unwrap_or(0) == 0 {
            assert!(
                Instant::now() < deadline,
                "the {key} call never reached the emulator"
            );
            assert!(
                child.try_wait().ok().flatten().is_none(),
                "rotate exited before its {key} call"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().expect("kill -9");
    }
    let out = child.wait_with_output().expect("wait");
    w.scan.record("rotate (killed)", &out, false);
    assert!(
        !out.status.success(),
        "the process must have died: {}",
        text(&out)
    );
    assert_eq!(
        w.step().as_deref(),
        Some(c.step),
        "journal after the crash: {:?}\n{}",
        w.journal(),
        text(&out)
    );
    w.cloud.clear_faults();

    // Before any restart: the profile still has a working key.
    w.assert_invariants(&format!("after a crash at {}", c.step));
    let keys = w.cloud.list_access_keys(Some(USER)).expect("keys");
    assert_eq!(keys.len(), c.keys_at_crash, "keys at the crash: {keys:?}");
    assert_eq!(
        w.stored_key_id() != w.first.access_key_id,
        c.switched_at_crash,
        "switched at the crash?"
    );

    // Restart: resumes or rolls back, then (after a roll-back) rotates anew.
    let out = w.run(&["rotate", "dev", "--yes", "--delete-old"]);
    let all = text(&out);
    assert!(out.status.success(), "restart: {all}");
    assert!(all.contains("interrupted rotation of dev:"), "{all}");
    if c.completes {
        assert!(all.contains("rotated: profile dev now uses"), "{all}");
        assert!(all.contains("not starting another"), "{all}");
    } else {
        assert!(all.contains("rolled back"), "{all}");
    }
    w.assert_invariants(&format!("after the restart from {}", c.step));
    assert_eq!(
        w.step().as_deref(),
        Some("done"),
        "journal closed: {:?}",
        w.journal()
    );
    let keys = w.cloud.list_access_keys(Some(USER)).expect("keys");
    assert_eq!(keys.len(), 1, "old (and any orphan) key deleted: {keys:?}");
    assert_ne!(keys[0].access_key_id, w.first.access_key_id);
    assert_eq!(keys[0].access_key_id, w.stored_key_id());
    // Rolled back or finished: the pending key's keyring item is gone.
    if let Some(has) = keyring_has(&w.home, "pending/dev") {
        assert!(
            !has,
            "the pending key is still in the keyring after {}",
            c.step
        );
    }
    // No issued secret in any output or in any file alicred wrote (journal included).
    w.scan.assert_clean(&w.home, &w.cloud);
}

/// Where the rotation stands at a step boundary: (keys in RAM, profile
/// switched, restart rolls forward).
fn at(step: &str) -> (usize, bool, bool) {
    match step {
        "listing" | "creating" => (1, false, false),
        "deleting-inactive" => (2, false, false),
        "creating:done" | "storing-pending" => (2, false, false),
        "storing-pending:done" | "verifying" | "switching" => (2, false, true),
        _ => (2, true, true),
    }
}

fn hang(service: Service, action: &'static str, step: &'static str) -> Case {
    let (keys_at_crash, switched_at_crash, completes) = at(step);
    Case {
        hang: Some((service, action)),
        crash_at: None,
        step,
        completes,
        keys_at_crash,
        switched_at_crash,
        inactive_second_key: false,
    }
}

fn abort_at(point: &'static str, step: &'static str) -> Case {
    let (keys_at_crash, switched_at_crash, completes) = at(point);
    Case {
        hang: None,
        crash_at: Some(point),
        step,
        completes,
        keys_at_crash,
        switched_at_crash,
        inactive_second_key: false,
    }
}

#[test]
fn kill_during_list_access_keys() {
    crash_case(hang(Service::Ram, "ListAccessKeys", "listing"));
}

#[test]
fn kill_while_deleting_an_inactive_key_to_make_room() {
    crash_case(Case {
        inactive_second_key: true,
        ..hang(Service::Ram, "DeleteAccessKey", "deleting-inactive")
    });
}

#[test]
fn kill_during_create_access_key() {
    crash_case(hang(Service::Ram, "CreateAccessKey", "creating"));
}

#[test]
fn abort_after_create_before_recording_it() {
    // The new key exists in RAM but nobody knows its secret: it is deleted.
    crash_case(abort_at("creating:done", "creating"));
}

#[test]
fn abort_before_storing_the_pending_key() {
    crash_case(abort_at("storing-pending", "storing-pending"));
}

#[test]
fn abort_after_storing_the_pending_key_before_recording_it() {
    crash_case(abort_at("storing-pending:done", "storing-pending"));
}

#[test]
fn kill_during_verification() {
    crash_case(hang(Service::Sts, "GetCallerIdentity", "verifying"));
}

#[test]
fn abort_before_switching() {
    crash_case(abort_at("switching", "switching"));
}

#[test]
fn abort_after_switching_before_recording_it() {
    crash_case(abort_at("switching:done", "switching"));
}

#[test]
fn abort_before_invalidating() {
    crash_case(abort_at("invalidating", "invalidating"));
}

#[test]
fn kill_during_deactivation() {
    crash_case(hang(Service::Ram, "UpdateAccessKey", "deactivating"));
}

#[test]
fn abort_after_deactivating_before_recording_it() {
    crash_case(abort_at("deactivating:done", "deactivating"));
}

#[test]
fn kill_during_deletion() {
    crash_case(hang(Service::Ram, "DeleteAccessKey", "deleting"));
}

#[test]
fn refuses_without_yes_when_stdin_is_not_a_terminal() {
    let w = World::new();
    let out = run(&w.home, &["rotate", "dev"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    assert_eq!(w.cloud.list_access_keys(Some(USER)).expect("keys").len(), 1);
}

/// A rotation stopped at `verifying` (the new key is in the keyring's
/// pending item) whose new key then never works: the restart rolls back,
/// and the pending item is gone right after the roll-back (the restart is
/// stopped as it begins the next rotation, so nothing later cleans up for it).
#[test]
fn a_roll_back_removes_the_pending_item() {
    if !cfg!(feature = "test-hooks") {
        panic!(
            "this test needs the ALICRED_TEST_CRASH_AT hook: run with --features alicred-cli/test-hooks (scripts/test.sh does)"
        );
    }
    let w = World::new();
    let mut cmd = std_cmd(&w.home);
    cmd.args(["rotate", "dev", "--yes", "--delete-old"])
        .env("ALICRED_TEST_CRASH_AT", "verifying");
    let out = cmd.output().expect("rotate");
    w.scan.record("rotate (aborted at verifying)", &out, false);
    assert_eq!(w.step().as_deref(), Some("verifying"), "{}", text(&out));
    if let Some(has) = keyring_has(&w.home, "pending/dev") {
        assert!(has, "the pending item exists while verifying");
    }
    let new_id = w.journal().expect("journal")["new_key_id"]
        .as_str()
        .expect("new_key_id")
        .to_string();
    w.cloud
        .set_access_key_status(&new_id, KeyStatus::Inactive)
        .expect("disable the new key");
    let mut cmd = std_cmd(&w.home);
    cmd.args(["rotate", "dev", "--yes", "--delete-old"])
        .env("ALICRED_TEST_CRASH_AT", "listing");
    let out = cmd.output().expect("restart");
    w.scan.record("rotate (restart, rolls back)", &out, false);
    let all = text(&out);
    assert!(all.contains("rolled back"), "{all}");
    if let Some(has) = keyring_has(&w.home, "pending/dev") {
        assert!(!has, "the pending item survived the roll-back: {all}");
    }
    assert_eq!(
        w.stored_key_id(),
        w.first.access_key_id,
        "the old key stays"
    );
    w.assert_invariants("after the roll-back");
    w.scan.assert_clean(&w.home, &w.cloud);
}
