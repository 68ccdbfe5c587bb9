//! The agent's socket (agent.sock) serves only the profiles the user
//! exposed to alicred run as a child: linked into the aliyun CLI, run by an
//! `external` profile as `alicred export NAME`, or listed in
//! `[settings] agent_socket_profiles`. Any other process of the user, such as
//! a tool under `exec --uri-only` whose URL is for one profile, gets a
//! refusal that says how to expose a profile, and no secret.

mod common;
use common::{AgentProc, Home, add_access_key, child_cmd, contains};

const PASSPHRASE: &str = "test-passphrase";

fn agent_of(home: &Home) -> AgentProc {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("alicred"));
    cmd.env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", PASSPHRASE);
    AgentProc::start(cmd)
}

#[test]
fn the_socket_serves_only_exposed_profiles() {
    let home = Home::with_backend("encrypted-file");
    add_access_key(
        &home,
        "allowed",
        "LTAI5tAllowed0001",
        "AllowedSecret000000000000000001",
    );
    add_access_key(
        &home,
        "linked",
        "LTAI5tLinked00001",
        "LinkedSecret0000000000000000001",
    );
    add_access_key(
        &home,
        "hidden",
        "LTAI5tHidden00001",
        "HiddenSecret0000000000000000001",
    );
    let profiles = home.file("profiles.toml");
    let text = std::fs::read_to_string(&profiles).expect("profiles");
    assert!(text.contains("\n[settings]\n"), "{text}");
    let text = text.replacen(
        "\n[settings]\n",
        "\n[settings]\nagent_socket_profiles = [\"allowed\"]\n",
        1,
    );
    std::fs::write(&profiles, text).expect("write");
    let linked = home
        .cmd()
        .env("ALIBABA_CLOUD_CONFIG_FILE", home.file("aliyun-config.json"))
        // An access-key profile: linking it needs the explicit flag.
        .args(["link", "aliyun-cli", "linked", "--allow-long-term-key"])
        .output()
        .expect("link");
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let _agent = agent_of(&home);

    let export = |name: &str| {
        child_cmd(&home)
            .args(["export", name, "--format", "json"])
            .output()
            .expect("export")
    };
    for (name, id) in [
        ("allowed", "LTAI5tAllowed0001"),
        ("linked", "LTAI5tLinked00001"),
    ] {
        let out = export(name);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(contains(&out.stdout, id), "{name}");
    }

    let out = export("hidden");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!contains(&out.stdout, "HiddenSecret"));
    assert!(
        err.contains("not exposed")
            && err.contains("alicred link aliyun-cli hidden")
            && err.contains("agent_socket_profiles"),
        "the refusal names how to expose it: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    // The review's case: a tool under `exec --uri-only`, handed the URL of
    // one profile, asks the socket for another. Its exit code passes through.
    let alicred = assert_cmd::cargo::cargo_bin("alicred");
    let out = home
        .cmd()
        .args(["exec", "--uri-only", "allowed", "--"])
        .arg(&alicred)
        .args(["export", "hidden", "--format", "json"])
        .output()
        .expect("exec");
    assert_eq!(out.status.code(), Some(1));
    assert!(!contains(&out.stdout, "HiddenSecret"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not exposed"));
    // The profile it was given is still served.
    let out = home
        .cmd()
        .args(["exec", "--uri-only", "allowed", "--"])
        .arg(&alicred)
        .args(["export", "allowed", "--format", "aliyun-external"])
        .output()
        .expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(contains(&out.stdout, "AllowedSecret"));

    // The user's own terminal (it can open the keyring) still gets any profile.
    let out = home
        .cmd()
        .args(["export", "hidden", "--format", "json"])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(contains(&out.stdout, "HiddenSecret"));
}
