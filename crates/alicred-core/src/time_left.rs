//! How much time is left, in words: one formatter for every shell (the CLI,
//! the tray menu, the dashboard, the shell prompt), so they never disagree.

use chrono::Duration;

/// "2 h 5 min", "42 min", "30 s", "3 days", "expired": menus and messages.
pub fn words(left: Duration) -> String {
    let s = left.num_seconds();
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

/// `42m`, `1h05m`, `2d3h`, `<1m`: a shell prompt's few characters.
pub fn compact(secs: i64) -> String {
    match secs {
        s if s < 60 => "<1m".into(),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_well() {
        assert_eq!(words(Duration::seconds(30)), "30 s");
        assert_eq!(words(Duration::minutes(42)), "42 min");
        assert_eq!(words(Duration::minutes(125)), "2 h 5 min");
        assert_eq!(words(Duration::hours(3)), "3 h");
        assert_eq!(words(Duration::hours(72)), "3 days");
        assert_eq!(words(Duration::seconds(-1)), "expired");
    }

    #[test]
    fn compact_fits_a_prompt() {
        assert_eq!(compact(5), "<1m");
        assert_eq!(compact(42 * 60), "42m");
        assert_eq!(compact(3900), "1h05m");
        assert_eq!(compact(2 * 86_400 + 3 * 3600), "2d3h");
    }
}
