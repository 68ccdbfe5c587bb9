//! A profile's state (one value, observed through a `watch`) and the events
//! every change produces (for the UI, the tray and the log).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a profile's credentials stand. Serialized as
/// `{"kind":"fresh","expires":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProfileState {
    /// Nothing fetched yet.
    Idle,
    /// Valid credentials, refreshed on schedule. `expires` is `None` for long-term keys.
    Fresh { expires: Option<DateTime<Utc>> },
    /// A fetch is in flight; `expires` is that of the credentials still served.
    Refreshing { expires: Option<DateTime<Utc>> },
    /// The last refresh failed; still serving valid credentials until `expires`.
    Degraded {
        error: String,
        retry_at: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    },
    /// No valid credentials; retrying by itself.
    Expired { error: String },
    /// No valid credentials, and only the user can fix it.
    NeedsUser { why: String },
}

impl ProfileState {
    pub fn kind_str(&self) -> &'static str {
        match self {
            ProfileState::Idle => "idle",
            ProfileState::Fresh { .. } => "fresh",
            ProfileState::Refreshing { .. } => "refreshing",
            ProfileState::Degraded { .. } => "degraded",
            ProfileState::Expired { .. } => "expired",
            ProfileState::NeedsUser { .. } => "needs-user",
        }
    }

    /// The state as it stands at `now`. A fetch in flight is published with
    /// the credentials it still served when it started; a slow one (an
    /// upstream that hangs until the timeout) can outlast them, and then
    /// nothing is served while it runs.
    pub fn as_of(self, now: DateTime<Utc>) -> Self {
        match self {
            ProfileState::Refreshing { expires: Some(e) }
                if e - now <= super::policy::SERVE_MARGIN =>
            {
                ProfileState::Refreshing { expires: None }
            }
            other => other,
        }
    }

    /// Does this state need the user's attention (tray icon, notification)?
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            ProfileState::Degraded { .. }
                | ProfileState::Expired { .. }
                | ProfileState::NeedsUser { .. }
        )
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    Refreshed,
    RefreshFailed,
    StateChanged,
    Handout,
    ExpiringSoon,
    NeedsUser,
    KeyDue,
    Rotation,
    Invalidated,
    ConfigReloaded,
    Agent,
}

/// One line of the event log. `kind` and `data` are what listeners decide
/// on (the notifier, the tray); `message` is for people and never matched.
/// Nothing here contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "EngineEvent"))]
pub struct Event {
    pub id: u64,
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "EventData::is_none")]
    pub data: EventData,
    pub message: String,
}

/// The facts of an event, by kind. Serialized as `{"type":"…", …}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventData {
    /// The kind and the message say it all.
    #[default]
    None,
    Refreshed {
        expires: Option<DateTime<Utc>>,
        /// Restored from the keyring rather than fetched.
        restored: bool,
    },
    RefreshFailed {
        error: String,
        /// Retrying by itself may fix it (else only the user can).
        transient: bool,
        retry_at: DateTime<Utc>,
        /// Still serving valid cached credentials.
        serving: bool,
    },
    ExpiringSoon {
        expires: DateTime<Utc>,
        /// The profile renews itself (then a failing refresh is the story).
        refreshes_itself: bool,
    },
    NeedsUser {
        why: String,
    },
    KeyDue {
        age_days: Option<i64>,
        max_age_days: u32,
    },
    Rotation {
        outcome: RotationOutcome,
    },
}

impl EventData {
    pub fn is_none(&self) -> bool {
        matches!(self, EventData::None)
    }

    /// The kind an event with these facts has (`None`: no kind of its own).
    pub fn kind(&self) -> Option<EventKind> {
        Some(match self {
            EventData::None => return None,
            EventData::Refreshed { .. } => EventKind::Refreshed,
            EventData::RefreshFailed { .. } => EventKind::RefreshFailed,
            EventData::ExpiringSoon { .. } => EventKind::ExpiringSoon,
            EventData::NeedsUser { .. } => EventKind::NeedsUser,
            EventData::KeyDue { .. } => EventKind::KeyDue,
            EventData::Rotation { .. } => EventKind::Rotation,
        })
    }
}

/// How a rotation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum RotationOutcome {
    /// The profile uses the new key (the old one may still await deletion).
    Rotated,
    /// Undone: the profile keeps its old, working key.
    RolledBack,
    /// Stopped with an error.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_that_outlasts_the_served_credentials_serves_nothing() {
        let now = Utc::now();
        let lapsed = ProfileState::Refreshing {
            expires: Some(now + chrono::Duration::seconds(2)),
        };
        assert_eq!(
            lapsed.as_of(now),
            ProfileState::Refreshing { expires: None }
        );
        let valid = ProfileState::Refreshing {
            expires: Some(now + chrono::Duration::minutes(10)),
        };
        assert_eq!(valid.clone().as_of(now), valid);
        let fresh = ProfileState::Fresh {
            expires: Some(now - chrono::Duration::seconds(1)),
        };
        assert_eq!(fresh.clone().as_of(now), fresh);
    }

    #[test]
    fn states_serialize_with_a_kind_tag() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let j = serde_json::to_value(ProfileState::Fresh { expires: Some(t) }).expect("json");
        assert_eq!(
            j,
            serde_json::json!({"kind":"fresh","expires":"2026-01-01T00:00:00Z"})
        );
        let j = serde_json::to_value(ProfileState::NeedsUser { why: "x".into() }).expect("json");
        assert_eq!(j, serde_json::json!({"kind":"needs-user","why":"x"}));
        let j = serde_json::to_value(ProfileState::Idle).expect("json");
        assert_eq!(j, serde_json::json!({"kind":"idle"}));
        let d = ProfileState::Degraded {
            error: "e".into(),
            retry_at: t,
            expires: None,
        };
        let j = serde_json::to_value(&d).expect("json");
        assert_eq!(j["kind"], "degraded");
        assert_eq!(j["retry_at"], "2026-01-01T00:00:00Z");
        let back: ProfileState = serde_json::from_value(j).expect("back");
        assert_eq!(back, d);
        assert_eq!(
            serde_json::to_value(EventKind::RefreshFailed).expect("json"),
            "refresh-failed"
        );
    }
}
