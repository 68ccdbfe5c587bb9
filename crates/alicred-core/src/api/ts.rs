//! The dashboard's TypeScript types, generated from the API's Rust types
//! (ts-rs) into `ui/src/lib/generated/api.ts`. The test fails when the
//! committed file is not what the Rust types make; regenerate it with
//! `ALICRED_BLESS=1 cargo test -p alicred-core --lib api::ts`.

use super::error::ApiError;
use super::form::{Field, FieldKind, FieldOption, TypeFields};
use super::notify::{Note, NoteAction};
use super::sessions::{AccessConfigRow, AccountGroup, SessionGroup};
use super::settings::{Settings, Theme};
use super::types::*;
use crate::aliyun::sts::CallerIdentity;
use crate::engine::{
    Capabilities, ChainLink, Consumer, EventData, EventKind, ProfileState, ProfileStatus,
    RotationOutcome, SignInView, TimelineBucket,
};
use crate::profile::validate::{Problem, Severity};
use crate::profile::{ProfileInput, ProfileType, Remedy, RotationMethod, TypeGuide};
use crate::rotation::RotationStatus;
use crate::rotation::journal::Step;
use crate::signin::SsoSessionInfo;
use crate::usecases::{RotatePlan, SignInDone, SignInPrompt};
use ts_rs::TS;

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../ui/src/lib/generated/api.ts"
);

fn render() -> String {
    // JSON numbers, not BigInt: u64 counters and ids stay far below 2^53.
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = [
        Request::decl(&cfg),
        Response::decl(&cfg),
        Event::decl(&cfg),
        ApiError::decl(&cfg),
        SecretInput::decl(&cfg),
        RotateResult::decl(&cfg),
        EndpointInfo::decl(&cfg),
        SignInEnded::decl(&cfg),
        Note::decl(&cfg),
        NoteAction::decl(&cfg),
        Settings::decl(&cfg),
        Theme::decl(&cfg),
        SessionGroup::decl(&cfg),
        AccountGroup::decl(&cfg),
        AccessConfigRow::decl(&cfg),
        TypeFields::decl(&cfg),
        Field::decl(&cfg),
        FieldKind::decl(&cfg),
        FieldOption::decl(&cfg),
        ProfileStatus::decl(&cfg),
        ProfileState::decl(&cfg),
        Capabilities::decl(&cfg),
        SignInView::decl(&cfg),
        ChainLink::decl(&cfg),
        Consumer::decl(&cfg),
        crate::engine::Event::decl(&cfg),
        EventKind::decl(&cfg),
        EventData::decl(&cfg),
        RotationOutcome::decl(&cfg),
        TimelineBucket::decl(&cfg),
        TypeGuide::decl(&cfg),
        ProfileType::decl(&cfg),
        Remedy::decl(&cfg),
        RotationMethod::decl(&cfg),
        Problem::decl(&cfg),
        Severity::decl(&cfg),
        ProfileInput::decl(&cfg),
        CallerIdentity::decl(&cfg),
        RotatePlan::decl(&cfg),
        RotationStatus::decl(&cfg),
        Step::decl(&cfg),
        SignInDone::decl(&cfg),
        SignInPrompt::decl(&cfg),
        SsoSessionInfo::decl(&cfg),
    ];
    let mut out = String::from(
        "// generated from alicred-core's API types (crates/alicred-core/src/api/ts.rs): do not edit.\n\
         // Regenerate: ALICRED_BLESS=1 cargo test -p alicred-core --lib api::ts\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn the_generated_typescript_is_current() {
    let want = render();
    if std::env::var_os("ALICRED_BLESS").is_some() {
        if let Some(dir) = std::path::Path::new(FILE).parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(FILE, &want).expect("write");
        return;
    }
    let have = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        have == want,
        "{FILE} is stale: regenerate it with `ALICRED_BLESS=1 cargo test -p alicred-core --lib api::ts`"
    );
}
