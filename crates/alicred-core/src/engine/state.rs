//! A profile's state (one value, observed through a `watch`) and the events
//! every change produces (for the UI, the tray and the log).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a profile's credentials stand. Serialized as
/// `{"kind":"fresh","expires":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One line of the event log. `message` never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub kind: EventKind,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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
