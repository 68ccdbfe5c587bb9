//! `alicred login NAME` for an `oauth` profile: authorization code with PKCE and a
//! random `state`, received on the loopback callback; tokens go to the keyring only.

use super::SignInError;
use super::loopback;
use super::tokens::{OauthTokens, store};
use crate::aliyun::oauth::{OAuthClient, authorization_url};
use crate::aliyun::sso::Pkce;
use crate::profile::{ProfileKind, ProfileName};
use crate::providers::ProviderContext;
use crate::service::Alicred;
use crate::store::secrets::SecretKey;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use url::Url;

/// How long the browser step may take.
pub const BROWSER_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs the flow; `on_url` shows (and may open) the authorization URL. Returns when
/// the access token expires (it renews itself with the refresh token).
pub async fn oauth_login(
    app: &Alicred,
    ctx: &ProviderContext,
    name: &ProfileName,
    on_url: impl FnOnce(&Url) + Send,
) -> Result<DateTime<Utc>, SignInError> {
    let file = app.profiles()?;
    let ProfileKind::Oauth(p) = &file.get(name)?.kind else {
        return Err(SignInError::Usage(format!(
            "profile {name} is not an oauth profile"
        )));
    };
    let cb = loopback::bind().await?;
    let pkce = Pkce::new();
    let mut raw = [0u8; 24];
    rand::fill(&mut raw[..]);
    let state = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let client_id = p.client();
    let redirect = cb.redirect_uri.clone();
    let url = authorization_url(
        &p.sign_in_url(),
        &client_id,
        &redirect,
        &state,
        &pkce.challenge,
    );
    // The authorization URL carries the `state`: the browser is handed a
    // one-shot local URL that redirects to it (own user only, answered once),
    // so it never appears on a command line (docs/security.md, "Sign-in
    // servers and the OAuth callback").
    let target = crate::sensitive::Sensitive::new(url.to_string());
    let one_shot =
        crate::server::oneshot::OneShot::start(BROWSER_WAIT, move || async move { Ok(target) })
            .map_err(|e| {
                SignInError::Failed(format!(
                    "cannot open a local redirect for the browser ({e}); run the sign-in again"
                ))
            })?;
    let local = Url::parse(one_shot.url().expose()).map_err(|_| {
        SignInError::Failed("the local redirect has no valid URL; run the sign-in again".into())
    })?;
    on_url(&local);
    let code = loopback::receive(cb, &state, BROWSER_WAIT).await?;
    drop(one_shot);
    let client = OAuthClient::new(ctx, p.endpoint(), &client_id);
    let t = client
        .exchange_code(&code, &redirect, &pkce.verifier)
        .await
        .map_err(|e| match e {
            crate::providers::ProviderError::NeedsUser(why) => SignInError::Failed(format!(
                "the authorization code was refused ({why}); run `alicred login {name}` again"
            )),
            other => other.into(),
        })?;
    let expires_at = t.expires_at;
    store(
        &ctx.secrets,
        SecretKey::Profile(name.clone()),
        OauthTokens {
            access_token: t.access_token,
            access_expires_at: expires_at,
            refresh_token: t.refresh_token,
            needs_sign_in: false,
        },
    )
    .await?;
    // Noting the sign-in changes the profile, so a running agent tries it again.
    let now = ctx.clock.now();
    app.config()
        .update(|f| -> Result<(), crate::service::ServiceError> {
            if let Some(p) = f.profiles.get_mut(name)
                && let ProfileKind::Oauth(o) = &mut p.kind
            {
                o.signed_in_at = Some(now);
            }
            Ok(())
        })?;
    Ok(expires_at)
}
