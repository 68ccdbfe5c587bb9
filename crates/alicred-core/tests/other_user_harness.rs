//! The harness for listener tests that run their client as another user
//! (tests/rust/other_user.rs) works here: the client really runs as nobody.
//! Under scripts/test.sh (`ALICRED_TEST_OTHER_UID=required`) a machine where
//! it cannot fails this test instead of letting those tests skip.

#[path = "../../../tests/rust/other_user.rs"]
mod other_user;

#[test]
fn the_other_user_client_runs_as_nobody() {
    let Some(mut c) = other_user::as_other_user("/usr/bin/id", &[]) else {
        return; // printed why; allowed only outside scripts/test.sh
    };
    let out = c.output().expect("run id through setpriv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout);
    let uid = other_user::OTHER_UID;
    assert!(
        id.starts_with(&format!("uid={uid}(")) && id.contains(&format!("gid={uid}(")),
        "{id}"
    );
    assert!(!id.contains("groups=0"), "supplementary groups kept: {id}");

    // One of our binaries, copied where nobody may run it.
    let me = std::env::current_exe().expect("this test binary");
    let (_dir, copy) = other_user::readable_copy(&me);
    let mut c = other_user::as_other_user(&copy, &["--list"]).expect("available above");
    let out = c.output().expect("run the copy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
