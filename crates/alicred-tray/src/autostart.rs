//! "Start at login": an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/alicred.desktop`, `~/.config` by default)
//! that starts the tray agent alone: no dashboard, no WebKit. It has the
//! name Tauri's autostart plugin gave the entry before the tray became its
//! own process, so turning it on or off here replaces an older entry rather
//! than adding a second one. Written here, not with the `auto-launch` crate:
//! that one ignores `XDG_CONFIG_HOME`, fails when `~/.config` does not exist
//! yet and leaves the path in `Exec` unquoted.

use std::path::{Path, PathBuf};

const FILE_NAME: &str = "alicred.desktop";

/// Where the entry lives, from the environment (`None`: no home to put it in).
pub fn entry_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("autostart").join(FILE_NAME))
}

/// Whether the entry exists (`None`: it cannot be told).
pub fn enabled() -> Option<bool> {
    Some(entry_path()?.is_file())
}

pub fn set(on: bool) -> Result<(), String> {
    let path = entry_path().ok_or("start at login: no HOME to put the autostart entry in")?;
    if !on {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!(
                "could not turn off start at login ({}): {e}",
                path.display()
            )),
            _ => Ok(()),
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find alicred-tray: {e}"))?;
    let text = entry(&exe)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    }
    alicred_core::paths::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("could not turn on start at login ({}): {e}", path.display()))
}

/// The entry's text: `Exec` is the tray agent's absolute path, quoted as the
/// Desktop Entry spec says when it holds a space or a reserved character.
fn entry(exe: &Path) -> Result<String, String> {
    let path = exe
        .to_str()
        .ok_or("the path of alicred-tray is not UTF-8; start at login cannot name it")?;
    if path.chars().any(char::is_control) {
        return Err("the path of alicred-tray holds a control character".into());
    }
    let reserved = |c: char| " \t\"'\\><~|&;$*?#()`".contains(c);
    let exec = if path.chars().any(reserved) {
        let mut q = String::from("\"");
        for c in path.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        // In a .desktop file's string value, a backslash is itself escaped.
        q.replace('\\', "\\\\")
    } else {
        path.to_string()
    };
    Ok(format!(
        "[Desktop Entry]\nType=Application\nName=alicred\nComment=Alibaba Cloud credentials: tray agent and endpoint\nExec={exec}\nIcon=alicred-desktop\nTerminal=false\nStartupNotify=false\nX-GNOME-Autostart-enabled=true\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_the_tray_agent_by_its_absolute_path() {
        let text = entry(Path::new("/usr/bin/alicred-tray")).expect("entry");
        assert!(text.contains("\nExec=/usr/bin/alicred-tray\n"), "{text}");
        assert!(text.starts_with("[Desktop Entry]\n"));
    }

    #[test]
    fn a_path_with_spaces_is_quoted_as_the_spec_says() {
        let text = entry(Path::new("/opt/my apps/alicred-tray")).expect("entry");
        assert!(
            text.contains("\nExec=\"/opt/my apps/alicred-tray\"\n"),
            "{text}"
        );
        let text = entry(Path::new("/opt/a$b/alicred-tray")).expect("entry");
        // `$` escaped for the Exec rules (\$), the backslash escaped again for the string.
        assert!(
            text.contains("\nExec=\"/opt/a\\\\$b/alicred-tray\"\n"),
            "{text}"
        );
        assert!(entry(Path::new("/opt/a\nb/alicred-tray")).is_err());
    }
}
