//! Words for a profile's state and a time left, short enough for a menu
//! line: the one formatter the tray, the CLI and the notifications use.

use crate::engine::ProfileState;
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

/// "2 h 5 min", "42 min", "30 s", "expired": the core's one formatter,
/// [`crate::time_left::words`], under the name the menu code reads.
pub fn time_left(d: chrono::Duration) -> String {
    crate::time_left::words(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn time_left_in_menu_sized_words() {
        assert_eq!(time_left(Duration::seconds(30)), "30 s");
        assert_eq!(time_left(Duration::minutes(42)), "42 min");
        assert_eq!(time_left(Duration::minutes(125)), "2 h 5 min");
        assert_eq!(time_left(Duration::hours(3)), "3 h");
        assert_eq!(time_left(Duration::hours(72)), "3 days");
        assert_eq!(time_left(Duration::seconds(-1)), "expired");
        let t = Utc::now();
        let d = ProfileState::Degraded {
            error: "e".into(),
            retry_at: t,
            expires: Some(t + Duration::minutes(5)),
        };
        assert_eq!(state_label(&d, t), "refresh failing, 5 min left");
    }
}
