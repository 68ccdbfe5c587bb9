//! Failure at every RAM call (5xx, throttling, LimitExceeded, NoPermission)
//! and at verification: the profile keeps a working key, the message is one
//! line saying what to do, and a later start finishes or undoes the rest.

mod rotation_common;

use alicred_core::rotation::{OldKeyAction, RotateOptions, Step};
use alicred_fakecloud::{FaultKind, FaultSpec, KeyStatus, Service};
use rotation_common::*;

const DELETE_NOW: RotateOptions = RotateOptions {
    old_key: OldKeyAction::DeleteNow,
    delete_inactive: false,
};

/// (fault, words the message must contain)
fn faults() -> Vec<(FaultSpec, &'static str)> {
    vec![
        (FaultSpec::new(FaultKind::InternalError), "try again later"),
        (FaultSpec::new(FaultKind::Throttling), "throttling"),
        (
            FaultSpec::new(FaultKind::CodeNotSuccess).code("LimitExceeded.User.AccessKey"),
            "two AccessKeys",
        ),
        (
            FaultSpec::new(FaultKind::CodeNotSuccess).code("NoPermission"),
            "lacks ram:",
        ),
    ]
}

async fn fail_at(action: &'static str) {
    for (fault, words) in faults() {
        let w = World::new().await;
        let kind = format!("{:?}/{:?}", fault.kind, fault.code);
        w.cloud
            .set_fault(fault.service(Service::Ram).action(action));
        let mut sink = |_p| {};
        let e = w
            .rotator()
            .rotate(&w.name, DELETE_NOW, &mut sink)
            .await
            .expect_err("the rotation must fail");
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "one line: {msg}");
        assert!(msg.contains(action), "{kind}: names the call: {msg}");
        assert!(msg.contains(words), "{kind}: says what to do: {msg}");
        if words == "lacks ram:" {
            assert!(msg.contains(&format!("lacks ram:{action}")), "{msg}");
        }
        let secret = w.profile_key().access_key_secret.expose().to_string();
        assert!(!msg.contains(&secret));
        w.assert_invariants().await;

        let switched = matches!(action, "UpdateAccessKey" | "DeleteAccessKey");
        if switched {
            // The new key is in use; the rest waits for the next start.
            assert!(msg.contains("is in use and works"), "{msg}");
            assert_ne!(w.profile_key().access_key_id, w.first_key);
            assert!(!w.journal_step().expect("journal").is_terminal());
        } else {
            assert!(msg.contains("the old key stays in use"), "{msg}");
            assert_eq!(w.profile_key().access_key_id, w.first_key);
            assert_eq!(w.journal_step(), Some(Step::RolledBack));
            assert_eq!(w.keys().len(), 1, "{kind}: {:?}", w.keys());
        }

        // The fault clears; the next start finishes what is left.
        w.cloud.clear_faults();
        let resumed = w.rotator().resume_all(&mut sink).await;
        if switched {
            assert_eq!(resumed.len(), 1);
            let r = resumed[0].1.as_ref().expect("resumed");
            assert_eq!(r.step, Step::Done, "{r:?}");
            assert_eq!(w.keys().len(), 1);
            assert_eq!(w.status_of(&w.first_key), None);
        } else {
            assert!(resumed.is_empty(), "nothing to resume: {resumed:?}");
        }
        w.assert_invariants().await;
    }
}

#[tokio::test]
async fn failing_list_access_keys() {
    fail_at("ListAccessKeys").await;
}

#[tokio::test]
async fn failing_create_access_key() {
    fail_at("CreateAccessKey").await;
}

#[tokio::test]
async fn failing_update_access_key() {
    fail_at("UpdateAccessKey").await;
}

#[tokio::test]
async fn failing_delete_access_key() {
    fail_at("DeleteAccessKey").await;
}

#[tokio::test]
async fn a_new_key_that_never_verifies_is_rolled_back() {
    let w = World::new().await;
    w.cloud.set_fault(
        FaultSpec::new(FaultKind::InternalError)
            .service(Service::Sts)
            .action("GetCallerIdentity"),
    );
    let mut sink = |_p| {};
    let r = w
        .rotator()
        .rotate(&w.name, DELETE_NOW, &mut sink)
        .await
        .expect("a roll-back is an orderly outcome");
    assert_eq!(r.step, Step::RolledBack);
    assert!(
        r.message.contains("did not work within 2 s"),
        "{}",
        r.message
    );
    assert_eq!(w.keys().len(), 1, "new key deleted");
    assert_eq!(w.profile_key().access_key_id, w.first_key);
    w.cloud.clear_faults();
    w.assert_invariants().await;
}

#[tokio::test]
async fn a_roll_back_that_cannot_delete_finishes_at_the_next_start() {
    let w = World::new().await;
    w.cloud.set_fault(
        FaultSpec::new(FaultKind::InternalError)
            .service(Service::Sts)
            .action("GetCallerIdentity"),
    );
    w.cloud.set_fault(
        FaultSpec::new(FaultKind::InternalError)
            .service(Service::Ram)
            .action("DeleteAccessKey"),
    );
    let mut sink = |_p| {};
    let e = w
        .rotator()
        .rotate(&w.name, DELETE_NOW, &mut sink)
        .await
        .expect_err("the unusable key could not be deleted");
    let msg = e.to_string();
    assert!(msg.contains("The old key stays in use and works"), "{msg}");
    assert!(msg.contains("deletes it at the next start"), "{msg}");
    assert_eq!(w.journal_step(), Some(Step::RollingBack));
    assert_eq!(w.keys().len(), 2);
    w.cloud.clear_faults();
    w.assert_invariants().await;
    let resumed = w.rotator().resume_all(&mut sink).await;
    assert_eq!(resumed.len(), 1);
    assert_eq!(
        resumed[0].1.as_ref().map(|r| r.step).ok(),
        Some(Step::RolledBack)
    );
    assert_eq!(w.keys().len(), 1);
    assert_eq!(w.status_of(&w.first_key), Some(KeyStatus::Active));
    w.assert_invariants().await;
}
