//! The API's vocabulary: one [`Request`] per thing a shell can ask, one
//! [`Response`] variant per request (same name), one [`Event`] per thing
//! that changed. They are what travels between the dashboard and the tray
//! agent (docs/protocols.md, "Tray control socket"), and the TypeScript the
//! dashboard uses is generated from them (`ui/src/lib/generated/api.ts`).

use super::notify::Note;
use super::sessions::SessionGroup;
use super::settings::Settings;
use crate::aliyun::sts::CallerIdentity;
use crate::engine::{ProfileStatus, TimelineBucket};
use crate::profile::validate::Problem;
use crate::profile::{ProfileInput, TypeGuide};
use crate::rotation::RotationStatus;
use crate::sensitive::Sensitive;
use crate::signin::SsoSessionInfo;
use crate::store::secrets::StoredKey;
use crate::usecases::profiles::NewSecret;
use crate::usecases::{RotatePlan, Rotated, SignInDone, SignInPrompt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything a shell may ask of the core. On the wire:
/// `{"cmd": "verify", "args": {"name": "dev"}}` (`args` left out when empty).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "cmd", content = "args", rename_all = "snake_case")]
pub enum Request {
    /// Every profile's status.
    ListProfiles,
    /// The event log after `after`, at most `limit` of the newest.
    GetEvents {
        #[serde(default)]
        after: Option<u64>,
        #[serde(default)]
        limit: Option<usize>,
    },
    /// A profile's day in 10-minute buckets, or those from `since` on.
    GetTimeline {
        name: String,
        #[serde(default)]
        since: Option<DateTime<Utc>>,
    },
    /// What each profile type is for.
    TypeGuides,
    /// The form's fields per profile type.
    FormFields,
    /// Why the profiles file is not followed, if it is not.
    ReloadProblem,
    /// Check a form without saving.
    CheckProfile {
        input: Box<ProfileInput>,
    },
    /// Save a profile (`replace`: change it). An `external` profile is only
    /// saved with the person's confirmation ([`super::confirm`]).
    AddProfile {
        input: Box<ProfileInput>,
        #[serde(default)]
        secret: Option<SecretInput>,
        #[serde(default)]
        replace: bool,
    },
    GetProfileInput {
        name: String,
    },
    RemoveProfile {
        name: String,
    },
    SetActive {
        name: String,
    },
    /// Refresh one profile, or all.
    Refresh {
        #[serde(default)]
        name: Option<String>,
    },
    Verify {
        name: String,
    },
    RotatePlan {
        name: String,
    },
    Rotate {
        name: String,
        #[serde(default)]
        delete_inactive: bool,
    },
    RotationStatus {
        name: String,
    },
    /// Sign in a profile or a CloudSSO session (one of the two) and wait.
    SignIn {
        #[serde(default)]
        profile: Option<String>,
        #[serde(default)]
        session: Option<String>,
    },
    /// As `SignIn`, started from the tray or a notification: the dashboard
    /// opens to show the prompt, and this returns at once.
    StartSignIn {
        #[serde(default)]
        profile: Option<String>,
        #[serde(default)]
        session: Option<String>,
    },
    /// The prompt of the sign-in that waits, if any.
    SignInPrompt,
    CancelSignIn,
    /// CloudSSO sessions as `alicred sso list` shows them.
    SsoSessions,
    /// Profiles grouped by CloudSSO session → account → access
    /// configuration, each session with its one state.
    SignInGroups,
    EndpointInfo,
    GetSettings,
    SetSettings {
        settings: Settings,
    },
    /// Open the Alibaba Cloud console as a profile (where its
    /// `capabilities.console` says it can), in its browser.
    OpenConsole {
        name: String,
    },
    /// Put text on the clipboard (the tray agent owns the selection).
    CopyText {
        text: String,
    },
    OpenDashboard,
    /// End the tray agent (and the dashboards with it).
    Quit,
}

/// The answer to a [`Request`]: the variant of the same name.
/// On the wire: `{"kind": "verify", "value": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Response {
    ListProfiles(Vec<ProfileStatus>),
    GetEvents(Vec<crate::engine::Event>),
    GetTimeline(Vec<TimelineBucket>),
    TypeGuides(Vec<TypeGuide>),
    FormFields(Vec<super::form::TypeFields>),
    ReloadProblem(Option<String>),
    CheckProfile(Vec<Problem>),
    AddProfile(Vec<Problem>),
    GetProfileInput(Box<ProfileInput>),
    RemoveProfile,
    SetActive,
    Refresh,
    Verify(CallerIdentity),
    RotatePlan(RotatePlan),
    Rotate(RotateResult),
    RotationStatus(RotationStatus),
    SignIn(SignInDone),
    StartSignIn,
    SignInPrompt(Option<SignInPrompt>),
    /// Whether a sign-in was waiting.
    CancelSignIn(bool),
    SsoSessions(Vec<SsoSessionInfo>),
    SignInGroups(Vec<SessionGroup>),
    EndpointInfo(EndpointInfo),
    GetSettings(Settings),
    SetSettings(Settings),
    OpenConsole,
    CopyText,
    OpenDashboard,
    Quit,
}

/// What changed, pushed to every subscriber (the dashboard, the tray):
/// each carries the new value, so nobody re-reads everything.
/// On the wire: `{"type": "profile", "status": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// One line of the event log (what happened, for people and the log).
    Log {
        event: crate::engine::Event,
    },
    /// One profile's new status.
    Profile {
        status: Box<ProfileStatus>,
    },
    /// The whole list changed (a reload, an add, a removal, a new active
    /// profile), with the reloader's problem, if any.
    Profiles {
        profiles: Vec<ProfileStatus>,
        reload_problem: Option<String>,
    },
    /// A sign-in waits for the person: show this.
    SignInPrompt {
        prompt: SignInPrompt,
    },
    /// The sign-in ended, however.
    SignInDone {
        ended: SignInEnded,
    },
    Settings {
        settings: Settings,
    },
    /// A desktop notification to show (the tray shows it).
    Notification {
        note: Note,
    },
    /// Events were missed (a slow subscriber): read everything again.
    Resync,
}

/// The secret as the form sends it: once, never echoed back. Which one a
/// type takes is its guide's `secret_fields`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(untagged)]
pub enum SecretInput {
    /// An AccessKey pair, and an STS token's security token.
    Key {
        access_key_id: String,
        #[cfg_attr(test, ts(type = "string"))]
        access_key_secret: Sensitive,
        #[serde(default)]
        #[cfg_attr(test, ts(type = "string | null"))]
        security_token: Option<Sensitive>,
    },
    /// A bearer-token profile's token.
    BearerToken {
        #[cfg_attr(test, ts(type = "string"))]
        bearer_token: Sensitive,
    },
}

/// Serialised only to cross the private control socket (the dashboard's
/// process to the tray agent), so the secret is written out here.
impl Serialize for SecretInput {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            SecretInput::Key {
                access_key_id,
                access_key_secret,
                security_token,
            } => {
                let mut s = ser.serialize_struct("SecretInput", 3)?;
                s.serialize_field("access_key_id", access_key_id)?;
                s.serialize_field("access_key_secret", access_key_secret.expose())?;
                s.serialize_field(
                    "security_token",
                    &security_token.as_ref().map(Sensitive::expose),
                )?;
                s.end()
            }
            SecretInput::BearerToken { bearer_token } => {
                let mut s = ser.serialize_struct("SecretInput", 1)?;
                s.serialize_field("bearer_token", bearer_token.expose())?;
                s.end()
            }
        }
    }
}

impl From<SecretInput> for NewSecret {
    fn from(s: SecretInput) -> Self {
        match s {
            SecretInput::Key {
                access_key_id,
                access_key_secret,
                security_token,
            } => NewSecret::Key(StoredKey {
                access_key_id: access_key_id.trim().to_string(),
                access_key_secret,
                security_token: security_token.filter(|t| !t.is_empty()),
            }),
            SecretInput::BearerToken { bearer_token } => NewSecret::BearerToken(bearer_token),
        }
    }
}

/// A rotation's outcome: one line for people, and the details.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RotateResult {
    pub message: String,
    /// The details, by method (`ram`: the RAM report; `kms`: the new version).
    #[cfg_attr(
        test,
        ts(type = "{ method: \"ram\" | \"kms\" } & Record<string, unknown>")
    )]
    pub rotated: Rotated,
}

/// The endpoint as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct EndpointInfo {
    /// The active profile's URL (it carries the endpoint token).
    pub url: Option<String>,
    pub export_line: Option<String>,
    pub listen: Option<String>,
    pub running: bool,
    pub error: Option<String>,
}

/// How a sign-in ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignInEnded {
    pub ok: bool,
    pub message: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub profiles: Vec<String>,
}
