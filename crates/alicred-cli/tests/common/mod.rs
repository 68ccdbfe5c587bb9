//! Shared helpers for the CLI tests: a private ALICRED_HOME per test and the
//! secret store under test.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Which store the tests use: the real Secret Service when a D-Bus session is
/// there (scripts/lib/with-keyring.sh provides one with an unlocked GNOME
/// Keyring), otherwise the passphrase-encrypted file. When a Secret Service
/// is expected (`ALICRED_TEST_KEYRING=secret-service`, set by with-keyring.sh
/// and scripts/test.sh) a missing session bus is an error, not a quiet switch
/// that drops the keyring assertions.
pub fn backend() -> &'static str {
    let expected = std::env::var("ALICRED_TEST_KEYRING").ok();
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    match (expected.as_deref(), bus) {
        (Some("secret-service"), false) => panic!(
            "ALICRED_TEST_KEYRING=secret-service but there is no D-Bus session: run through scripts/lib/with-keyring.sh"
        ),
        (Some("encrypted-file"), _) | (None, false) => "encrypted-file",
        _ => "secret-service",
    }
}

pub struct Home {
    pub dir: TempDir,
    pub backend: &'static str,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Self {
        Self::with_backend(backend())
    }

    pub fn with_backend(backend: &'static str) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            backend,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `alicred` with this home, the chosen store and a clean credential env.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("alicred").expect("alicred binary");
        c.env("ALICRED_HOME", self.dir.path())
            .env("ALICRED_KEYRING", self.backend)
            .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
            .env_remove("OSS_ACCESS_KEY_ID")
            .env_remove("OSS_ACCESS_KEY_SECRET")
            .env_remove("OSS_SESSION_TOKEN")
            .env_remove("ALIBABA_CLOUD_PROFILE")
            .env("NO_COLOR", "1");
        c
    }

    /// Every byte alicred wrote under its home, for secret scans.
    pub fn all_written_bytes(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if let Ok(b) = std::fs::read(&p) {
                    out.push((p, b));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// One entry of a home snapshot: permission bits, modification time and
/// (for files) the content.
pub type TreeEntry = (u32, Option<std::time::SystemTime>, Option<Vec<u8>>);

impl Home {
    /// Every file and directory under the home, by relative path: what a
    /// command that "changes nothing" must leave exactly as it was.
    pub fn tree(&self) -> std::collections::BTreeMap<PathBuf, TreeEntry> {
        use std::os::unix::fs::PermissionsExt;
        fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, TreeEntry>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                let Ok(md) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
                let mode = md.permissions().mode();
                if md.is_dir() {
                    out.insert(rel, (mode, None, None));
                    walk(root, &p, out);
                } else {
                    out.insert(rel, (mode, md.modified().ok(), std::fs::read(&p).ok()));
                }
            }
        }
        let mut out = std::collections::BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }
}

/// The whole default Secret Service collection (every item, not only this
/// home's): label, attributes, secret and modification time of each item,
/// read with `busctl` and `secret-tool`. Empty when the tests do not use the
/// Secret Service (the encrypted-file store lives in the home, which
/// [`Home::tree`] covers).
pub fn keyring_snapshot() -> Vec<String> {
    if backend() != "secret-service" {
        return Vec::new();
    }
    // An item can vanish between listing and reading it (the daemon
    // finishing an earlier delete): read the collection again then.
    let mut last = String::new();
    for _ in 0..5 {
        match try_keyring_snapshot() {
            Ok(s) => return s,
            Err(e) => last = e,
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("cannot read the Secret Service collection: {last}");
}

fn try_keyring_snapshot() -> Result<Vec<String>, String> {
    let prop = |path: &str, iface: &str, name: &str| -> Result<serde_json::Value, String> {
        let out = std::process::Command::new("busctl")
            .args([
                "--user",
                "--json=short",
                "get-property",
                "org.freedesktop.secrets",
            ])
            .args([path, iface, name])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "busctl {path} {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        Ok(v["data"].clone())
    };
    let items = prop(
        "/org/freedesktop/secrets/aliases/default",
        "org.freedesktop.Secret.Collection",
        "Items",
    )?;
    let mut snap = Vec::new();
    for item in items.as_array().cloned().unwrap_or_default() {
        let path = item.as_str().unwrap_or_default().to_string();
        let iface = "org.freedesktop.Secret.Item";
        let attrs = prop(&path, iface, "Attributes")?;
        let mut pairs: Vec<(String, String)> = attrs
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        pairs.sort();
        let mut lookup = std::process::Command::new("secret-tool");
        lookup.arg("lookup");
        for (k, v) in &pairs {
            lookup.args([k, v]);
        }
        let secret = lookup.output().map_err(|e| e.to_string())?.stdout;
        snap.push(format!(
            "{path} label={} attrs={pairs:?} modified={} secret={}",
            prop(&path, iface, "Label")?,
            prop(&path, iface, "Modified")?,
            String::from_utf8_lossy(&secret)
        ));
    }
    snap.sort();
    Ok(snap)
}

/// The secret stored for `profile` of `home` in the Secret Service, if any.
pub fn keyring_item(home: &Home, profile: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service"])
        .arg(format!("alicred:{}", home.path().display()))
        .args(["username", &format!("profile/{profile}")])
        .output()
        .expect("secret-tool");
    (out.status.success() && !out.stdout.is_empty())
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The secret scan for tests that spawn alicred: every child's output is
/// recorded (a killed child's too: what it wrote to its pipes before dying),
/// and at the end the outputs and every file under the home are searched for
/// every secret and token the emulator ever issued (rotated and deleted keys
/// included). Children whose job is to print credentials (`creds`, `export`)
/// are recorded with `prints_secrets`: their stdout is exempt, not stderr.
#[derive(Default)]
pub struct SecretScan {
    outputs: std::sync::Mutex<Vec<(String, std::process::Output, bool)>>,
}

impl SecretScan {
    pub fn record(&self, label: &str, out: &std::process::Output, prints_secrets: bool) {
        self.outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((label.to_string(), out.clone(), prints_secrets));
    }

    /// Panics naming every place a secret was found: every value the
    /// emulator handed out, by the shared scanner ([`assert_no_secret`]).
    pub fn assert_clean(&self, home: &Home, cloud: &alicred_fakecloud::FakeCloudHandle) {
        let secrets: Vec<String> = cloud
            .handed_out_secrets()
            .into_iter()
            .map(|h| h.value)
            .collect();
        let outputs = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
        for (label, out, exempt) in outputs.iter() {
            texts.push((format!("stderr of {label}"), out.stderr.clone()));
            if !exempt {
                texts.push((format!("stdout of {label}"), out.stdout.clone()));
            }
        }
        assert_no_secret(&secrets, &[home.path()], &texts);
    }
}

/// The one secret scanner of every suite (tests/python/secret_scan.py: the
/// values as written, URL-encoded, JSON-escaped and base64-encoded) over every
/// file under `dirs` and each of `outputs` (label, bytes). Panics naming what
/// it found, or when it has nothing to look for or cannot run.
pub fn assert_no_secret(secrets: &[String], dirs: &[&Path], outputs: &[(String, Vec<u8>)]) {
    use std::os::unix::fs::OpenOptionsExt as _;
    let scanner = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/secret_scan.py");
    let work = tempfile::tempdir().expect("tempdir");
    let list = work.path().join("secrets");
    let mut body = String::new();
    for s in secrets {
        body.push_str(s);
        body.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&list)
        .expect("secrets list");
    std::io::Write::write_all(&mut f, body.as_bytes()).expect("write the secrets list");
    let outs = work.path().join("outputs");
    std::fs::create_dir(&outs).expect("outputs dir");
    for (i, (label, bytes)) in outputs.iter().enumerate() {
        let name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(80)
            .collect();
        std::fs::write(outs.join(format!("{i:03}-{name}")), bytes).expect("write an output");
    }
    let python = std::env::var("ALICRED_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg(&scanner)
        .arg("--secrets")
        .arg(&list)
        .args(dirs)
        .arg(&outs)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the secret scanner ({python} {}): {e}",
                scanner.display()
            )
        });
    let report = String::from_utf8_lossy(&out.stdout);
    let summary = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(1) => panic!("secrets found ({}): {report}", summary.trim()),
        _ => panic!("the secret scanner failed: {}", summary.trim()),
    }
}

/// Whether the Secret Service holds `account` (e.g. `pending/dev`) for this
/// home; `None` when the tests do not use the Secret Service.
pub fn keyring_has(home: &Home, account: &str) -> Option<bool> {
    if home.backend != "secret-service" {
        return None;
    }
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service"])
        .arg(format!("alicred:{}", home.path().display()))
        .args(["username", account])
        .output()
        .expect("secret-tool");
    Some(out.status.success() && !out.stdout.is_empty())
}

/// `alicred agent` on a free port, started by `cmd` (already given its
/// program, environment and user), killed by its pid when dropped. Returns
/// once the agent says it serves: its socket and endpoint are up then.
pub struct AgentProc(pub std::process::Child);

impl AgentProc {
    pub fn start(mut cmd: std::process::Command) -> Self {
        use std::io::BufRead;
        use std::process::Stdio;
        cmd.args(["agent", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = AgentProc(cmd.spawn().expect("start the agent"));
        let stderr = child.0.stderr.take().expect("stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        let mut said = Vec::new();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("agent serving") => break,
                Some(Ok(l)) => said.push(l),
                _ => panic!("the agent stopped before serving: {said:?}"),
            }
        }
        // Keep reading so the agent never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        child
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `alicred` with this home but none of the keyring settings: what a
/// process alicred starts (an `exec` tool, an `external` command) is.
pub fn child_cmd(home: &Home) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("alicred"));
    c.env("ALICRED_HOME", home.path())
        .env_remove("ALICRED_KEYRING")
        .env_remove("ALICRED_KEYRING_PASSPHRASE")
        .env_remove("ALICRED_KEYRING_PASSPHRASE_FILE");
    c
}

/// Add an access-key profile, or panic with alicred's reason.
pub fn add_access_key(home: &Home, name: &str, id: &str, secret: &str) {
    let out = home
        .cmd()
        .args(["profile", "add", name, "--type", "access-key"])
        .write_stdin(format!(
            r#"{{"AccessKeyId":"{id}","AccessKeySecret":"{secret}"}}"#
        ))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// We are root and setpriv is there: tests can play another local user
/// (uid 65534). Otherwise the reason they are skipped.
pub fn other_user_unavailable() -> Option<&'static str> {
    if !running_as_root() {
        return Some("not root: cannot switch to uid 65534");
    }
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output();
    if !setpriv.is_ok_and(|o| o.status.success()) {
        return Some("setpriv (util-linux) is missing");
    }
    None
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// A command run as uid/gid 65534 with no groups.
pub fn as_nobody(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut c = std::process::Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(program);
    c
}
