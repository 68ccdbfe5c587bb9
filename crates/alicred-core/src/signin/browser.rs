//! Opening the sign-in page in the desktop's browser, for the CLI and the app.

/// Set (to anything) to never open a browser: tests, headless sessions.
pub const NO_BROWSER_ENV: &str = "ALICRED_NO_BROWSER";

/// What [`open_browser`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Browser {
    Opened,
    /// `ALICRED_NO_BROWSER` is set.
    Disabled,
}

/// Opens `url` (http(s) only) with the desktop's opener. The sign-in URLs
/// hold no token (a user code, or OAuth's `state` and PKCE challenge), so
/// they may be on a command line. A failure only means the user opens it.
pub fn open_browser(url: &str) -> Result<Browser, String> {
    if std::env::var_os(NO_BROWSER_ENV).is_some() {
        return Ok(Browser::Disabled);
    }
    // Never hand the opener anything but a web page (no file:, no `-flag`).
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => return Err("not an http(s) URL; nothing was opened".into()),
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not open a browser ({opener}: {e})"))?;
    // Reap it, so a long-running app leaves no zombie behind.
    std::thread::spawn(move || child.wait());
    Ok(Browser::Opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_pages_are_opened() {
        // Checked before the switch would matter: nothing is spawned either way.
        if std::env::var_os(NO_BROWSER_ENV).is_some() {
            assert_eq!(open_browser("file:///etc/passwd"), Ok(Browser::Disabled));
            return;
        }
        assert!(open_browser("file:///etc/passwd").is_err());
        assert!(open_browser("--help").is_err());
    }
}
