//! The native dialog that asks before a request the core says needs a yes
//! (the rule and its wording: [`alicred_core::api::confirm`]).

use alicred_core::api::confirm::Confirmer;

/// The real dialog (GTK on Linux). Blocks: call it off the main thread.
pub struct NativeDialog(pub tauri::AppHandle);

impl Confirmer for NativeDialog {
    fn confirm(&self, title: &str, message: &str) -> bool {
        use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
        self.0
            .dialog()
            .message(message)
            .title(title)
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(
                "Allow".into(),
                "Cancel".into(),
            ))
            .blocking_show()
    }
}
