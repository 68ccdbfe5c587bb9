//! The native dialog that asks before an `external` profile is saved (the
//! rule and its wording: [`alicred_tray::confirm`]).

use alicred_tray::confirm::Confirmer;

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
