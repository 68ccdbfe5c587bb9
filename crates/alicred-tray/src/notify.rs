//! Shows the core's notifications ([`alicred_core::api::notify`] decides
//! them) on the desktop's notification server (notify-rust); a click on a
//! note's button sends its request to the API.

use alicred_core::api::Api;
use alicred_core::api::notify::Note;

/// Show a note off the async threads (D-Bus blocks); a click on its button
/// sends the button's request.
pub fn show(api: &Api, note: Note) {
    let (api, rt) = (api.clone(), tokio::runtime::Handle::current());
    std::thread::spawn(move || {
        let action = note.action.clone();
        show_blocking(&note, move |_| {
            if let Some(a) = action {
                rt.spawn(async move {
                    if let Err(e) = api.call(a.request).await {
                        show_error(&e.message);
                    }
                });
            }
        })
    });
}

/// A one-off error (a failed click).
pub fn show_error(message: &str) {
    let note = Note::error(message);
    std::thread::spawn(move || show_blocking(&note, |_| {}));
}

/// Blocking D-Bus: call from a blocking thread. `on_action` runs when the
/// user clicks the note's button (where the server supports it).
pub fn show_blocking(note: &Note, on_action: impl FnOnce(&str) + Send + 'static) {
    let mut n = notify_rust::Notification::new();
    n.appname("alicred")
        .summary(&note.summary)
        .body(&note.body)
        .icon("dialog-password");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(if note.critical {
            notify_rust::Urgency::Critical
        } else {
            notify_rust::Urgency::Normal
        });
    }
    if let Some(a) = &note.action {
        n.action(&a.id, &a.label);
    }
    match n.show() {
        Ok(handle) => {
            if note.action.is_some() {
                #[cfg(all(unix, not(target_os = "macos")))]
                std::thread::spawn(move || handle.wait_for_action(|a| on_action(a)));
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                drop((handle, on_action));
            }
        }
        Err(e) => tracing::warn!("notification not shown: {e}"),
    }
}
