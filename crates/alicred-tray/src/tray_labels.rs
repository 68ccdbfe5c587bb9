//! The tray's words for a state and a time left, menu-sized.

use alicred_core::engine::ProfileState;
use chrono::{DateTime, Utc};

/// "fresh, 42 min left" — the state and time left, in menu-sized words.
pub fn state_label(state: &ProfileState, now: DateTime<Utc>) -> String {
    let left = |e: &Option<DateTime<Utc>>| e.as_ref().map(|t| time_left(*t - now));
    match state {
        ProfileState::Idle => "not fetched yet".into(),
        ProfileState::Fresh { expires } => match left(expires) {
            Some(l) => format!("fresh, {l} left"),
            None => "fresh".into(),
        },
        ProfileState::Refreshing { .. } => "refreshing…".into(),
        ProfileState::Degraded { expires, .. } => match left(expires) {
            Some(l) => format!("refresh failing, {l} left"),
            None => "refresh failing".into(),
        },
        ProfileState::Expired { .. } => "expired — retrying".into(),
        ProfileState::NeedsUser { .. } => "needs you".into(),
    }
}

/// "2 h 5 min", "42 min", "30 s", "expired".
pub fn time_left(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    if s <= 0 {
        return "expired".into();
    }
    if s < 60 {
        return format!("{s} s");
    }
    let m = s / 60;
    if m < 60 {
        return format!("{m} min");
    }
    let (h, m) = (m / 60, m % 60);
    if h >= 48 {
        return format!("{} days", h / 24);
    }
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m} min")
    }
}
