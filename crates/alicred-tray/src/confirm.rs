//! Saving an `external` profile means alicred will run a command of the
//! user's choosing. The webview cannot be trusted to ask (a compromised page
//! would just skip its own prompt), so the dashboard's process asks, in Rust,
//! with a native dialog, before it sends the profile to be saved.

use crate::error::CommandError;
use alicred_core::profile::ProfileInput;

/// Asks the person at the desktop; `true` means go ahead.
pub trait Confirmer: Send + Sync {
    fn confirm(&self, title: &str, message: &str) -> bool;
}

/// Only profiles that run a command need the extra yes.
pub fn needs_confirmation(input: &ProfileInput) -> bool {
    input.r#type.trim() == "external"
}

/// `Ok` when `input` needs no confirmation or the person confirmed it.
pub fn confirm_external(
    input: &ProfileInput,
    replace: bool,
    confirmer: &dyn Confirmer,
) -> Result<(), CommandError> {
    if !needs_confirmation(input) {
        return Ok(());
    }
    let command = input.command.as_deref().unwrap_or("").trim();
    let action = if replace {
        "Save the changed"
    } else {
        "Add the"
    };
    let message = format!(
        "Profile {} will run this command on this computer whenever it needs credentials:\n\n{command}\n\nOnly allow a command you trust. {action} profile?",
        input.name.trim()
    );
    if confirmer.confirm("Allow alicred to run a command?", &message) {
        Ok(())
    } else {
        Err(CommandError::msg(
            "not saved: running the external command was not confirmed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Says(bool, AtomicUsize);

    impl Confirmer for Says {
        fn confirm(&self, _title: &str, message: &str) -> bool {
            assert!(message.contains("/usr/bin/fetch-creds --prod"), "{message}");
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0
        }
    }

    fn input(ty: &str) -> ProfileInput {
        ProfileInput {
            name: "ext".into(),
            r#type: ty.into(),
            command: Some("/usr/bin/fetch-creds --prod".into()),
            ..ProfileInput::default()
        }
    }

    #[test]
    fn an_external_profile_is_refused_without_a_yes() {
        let no = Says(false, AtomicUsize::new(0));
        for replace in [false, true] {
            let err = confirm_external(&input("external"), replace, &no).expect_err("refused");
            assert!(err.message.contains("not confirmed"), "{}", err.message);
        }
        assert_eq!(no.1.load(Ordering::SeqCst), 2, "asked for add and for edit");
        let yes = Says(true, AtomicUsize::new(0));
        confirm_external(&input("external"), false, &yes).expect("confirmed");
    }

    #[test]
    fn other_types_are_not_asked_about() {
        let no = Says(false, AtomicUsize::new(0));
        confirm_external(&input("environment"), false, &no).expect("no question");
        assert_eq!(no.1.load(Ordering::SeqCst), 0);
    }
}
