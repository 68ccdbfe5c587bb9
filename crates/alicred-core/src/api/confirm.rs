//! Which requests need the person's yes, decided here and checked here.
//!
//! Saving an `external` profile means alicred will run a command of the
//! user's choosing. The webview cannot be trusted to ask (a compromised page
//! would just skip its own prompt), so the API refuses to save one without a
//! [`Confirmed`] for that very command. Only the dashboard's process makes
//! one, after a native dialog ([`ask`]), and sends it beside the request on
//! the control socket; the webview's request has no field for it
//! (docs/security.md, "External commands need a native yes").

use super::Request;
use super::error::ApiError;
use crate::profile::{ProfileInput, ProfileType};
use serde::{Deserialize, Serialize};

/// Asks the person at the desktop; `true` means go ahead.
pub trait Confirmer: Send + Sync {
    fn confirm(&self, title: &str, message: &str) -> bool;
}

/// The person's yes to running one command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmed {
    pub command: String,
}

/// The profile a request would save, when saving it runs a command.
fn external(req: &Request) -> Option<(&ProfileInput, bool)> {
    match req {
        Request::AddProfile { input, replace, .. }
            if input.r#type.trim().parse::<ProfileType>() == Ok(ProfileType::External) =>
        {
            Some((input.as_ref(), *replace))
        }
        _ => None,
    }
}

fn command(input: &ProfileInput) -> &str {
    input.command.as_deref().unwrap_or("").trim()
}

/// The question to ask before `req` is sent, if it needs one: (title, message).
pub fn question(req: &Request) -> Option<(String, String)> {
    let (input, replace) = external(req)?;
    let action = if replace {
        "Save the changed"
    } else {
        "Add the"
    };
    Some((
        "Allow alicred to run a command?".into(),
        format!(
            "Profile {} will run this command on this computer whenever it needs credentials:\n\n{}\n\nOnly allow a command you trust. {action} profile?",
            input.name.trim(),
            command(input)
        ),
    ))
}

/// Ask the person when `req` needs it: `Ok(None)` when it needs no yes,
/// `Ok(Some(_))` when they said yes, an error when they did not.
pub fn ask(req: &Request, confirmer: &dyn Confirmer) -> Result<Option<Confirmed>, ApiError> {
    let Some((title, message)) = question(req) else {
        return Ok(None);
    };
    if !confirmer.confirm(&title, &message) {
        return Err(not_confirmed());
    }
    Ok(external(req).map(|(input, _)| Confirmed {
        command: command(input).to_string(),
    }))
}

/// The rule, where the profile is saved: an external profile is saved only
/// with a yes for its command.
pub(crate) fn check(req: &Request, confirmed: Option<&Confirmed>) -> Result<(), ApiError> {
    match external(req) {
        Some((input, _)) if confirmed.is_none_or(|c| c.command != command(input)) => {
            Err(not_confirmed())
        }
        _ => Ok(()),
    }
}

fn not_confirmed() -> ApiError {
    ApiError::msg("not saved: running the external command was not confirmed")
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

    fn add(ty: &str, replace: bool) -> Request {
        Request::AddProfile {
            input: Box::new(ProfileInput {
                name: "ext".into(),
                r#type: ty.into(),
                command: Some("/usr/bin/fetch-creds --prod".into()),
                ..ProfileInput::default()
            }),
            secret: None,
            replace,
        }
    }

    #[test]
    fn an_external_profile_is_refused_without_a_yes() {
        let no = Says(false, AtomicUsize::new(0));
        for replace in [false, true] {
            let err = ask(&add("external", replace), &no).expect_err("refused");
            assert!(err.message.contains("not confirmed"), "{}", err.message);
        }
        assert_eq!(no.1.load(Ordering::SeqCst), 2, "asked for add and for edit");
        let yes = Says(true, AtomicUsize::new(0));
        let c = ask(&add(" external ", false), &yes).expect("confirmed");
        assert_eq!(
            c,
            Some(Confirmed {
                command: "/usr/bin/fetch-creds --prod".into()
            })
        );
    }

    #[test]
    fn the_core_refuses_to_save_an_external_profile_without_its_yes() {
        let req = add("external", false);
        assert!(
            check(&req, None).is_err(),
            "a webview that skipped the dialog"
        );
        let other = Confirmed {
            command: "/bin/true".into(),
        };
        assert!(
            check(&req, Some(&other)).is_err(),
            "a yes for another command"
        );
        let yes = Confirmed {
            command: "/usr/bin/fetch-creds --prod".into(),
        };
        assert!(check(&req, Some(&yes)).is_ok());
    }

    #[test]
    fn other_types_are_not_asked_about() {
        let no = Says(false, AtomicUsize::new(0));
        assert_eq!(
            ask(&add("environment", false), &no).expect("no question"),
            None
        );
        assert_eq!(no.1.load(Ordering::SeqCst), 0);
        assert!(check(&add("environment", false), None).is_ok());
        assert!(check(&Request::ListProfiles, None).is_ok());
    }
}
