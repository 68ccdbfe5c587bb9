//! How the CLI shows a sign-in that a one-shot command needs: the core
//! resolves (`UseCases::resolve_for_tool`: a running agent first, a
//! signed-out profile signed in once for every process asking), and this
//! prints the page to open on stderr (stdout stays the caller's) and opens it.

use alicred_core::providers::ProviderContext;
use alicred_core::service::Alicred;
use alicred_core::signin::shared::open_sign_in_page;
use alicred_core::usecases::{SignInPrompt, UseCases};

pub fn context(app: &Alicred) -> ProviderContext {
    app.provider_context()
}

/// Shows `p` in the one process that signs in.
pub fn show_prompt(uc: &UseCases) -> impl Fn(&SignInPrompt) + Send + Sync + '_ {
    move |p| {
        let who = p.profile.as_deref().unwrap_or("");
        match &p.user_code {
            Some(code) => eprintln!("signing in profile {who}: confirm code {code} at {}", p.url),
            None => eprintln!("signing in profile {who}: open {}", p.url),
        }
        if let Ok(u) = url::Url::parse(&p.url)
            && let Err(e) = open_sign_in_page(&*uc.ctx().env, &u)
        {
            eprintln!("{e}; open the URL above yourself");
        }
    }
}
