//! "Copy URL" and the dashboard's copy buttons. On X11 the process that
//! copied serves the text to whoever pastes, so the copy is made here, in the
//! process that runs all day, not in the dashboard that ends when closed.

use std::sync::Mutex;

/// The clipboard, opened on first use and kept open (closing it would take
/// the copied text away on X11).
#[derive(Default)]
pub struct Clipboard(Mutex<Option<arboard::Clipboard>>);

impl Clipboard {
    pub fn copy(&self, text: &str) -> Result<(), String> {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(
                arboard::Clipboard::new()
                    .map_err(|e| format!("could not reach the clipboard: {e}"))?,
            );
        }
        let Some(cb) = guard.as_mut() else {
            return Err("could not reach the clipboard".into());
        };
        cb.set_text(text.to_string())
            .map_err(|e| format!("could not copy to the clipboard: {e}"))
    }
}
