//! `bearer-token`: the aliyun CLI's `BearerToken` mode. A product's OpenAPI
//! bearer token, sent by tools in the `x-acs-bearer-token` header (or the
//! profile's `header_key`), instead of an AccessKey signature.
//!
//! It is not an AccessKey: there is nothing to sign with, no STS to assume a
//! role with, and the credentials-URI JSON has no field for it. So the
//! endpoint, `alicred creds` and `export` refuse such a profile with one
//! line naming what works instead; `alicred exec` and `env` put the token in
//! `ALIBABA_CLOUD_BEARER_TOKEN` (and a non-default header in
//! `ALIBABA_CLOUD_BEARER_TOKEN_HEADER_KEY`), the variables the aliyun CLI
//! and its plugins read. The token lives in the keyring under the profile.

use super::{Provider, ProviderContext, ProviderError};
use crate::credentials::Credentials;
use crate::profile::ProfileName;
use crate::sensitive::{Sensitive, serialize_exposed};
use crate::store::secrets::{SecretError, SecretKey, SecretStore};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The variable a tool reads the token from.
pub const BEARER_TOKEN_ENV: &str = "ALIBABA_CLOUD_BEARER_TOKEN";
/// The variable naming a non-default header.
pub const BEARER_TOKEN_HEADER_KEY_ENV: &str = "ALIBABA_CLOUD_BEARER_TOKEN_HEADER_KEY";
/// The header OpenAPI clients send it in by default.
pub const DEFAULT_HEADER_KEY: &str = "x-acs-bearer-token";

/// The keyring item of a `bearer-token` profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredBearerToken {
    #[serde(serialize_with = "serialize_exposed")]
    pub bearer_token: Sensitive,
}

/// The token as a header value: the CLI drops CR, LF and NUL, which could
/// otherwise split a header.
pub fn sanitize(raw: &str) -> Sensitive {
    Sensitive::new(
        raw.chars()
            .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
            .collect::<String>()
            .trim()
            .to_string(),
    )
}

/// A header name the CLI accepts: printable ASCII without space, tab or colon.
pub fn check_header_key(key: &str) -> Result<String, String> {
    let k = key.trim();
    if k.is_empty() {
        return Err("is empty".into());
    }
    if k.chars()
        .any(|c| !c.is_ascii_graphic() || matches!(c, ':' | ' ' | '\t'))
    {
        return Err("must be printable ASCII without spaces or colons (a header name)".into());
    }
    Ok(k.to_string())
}

/// Stores the token of `name` (blocking: keyring calls block).
pub fn store(
    secrets: &Arc<dyn SecretStore>,
    name: &ProfileName,
    token: &Sensitive,
) -> Result<(), SecretError> {
    secrets.set_json(
        &SecretKey::Profile(name.clone()),
        &StoredBearerToken {
            bearer_token: token.clone(),
        },
    )
}

/// The token of `name` from the keyring.
pub async fn load(ctx: &ProviderContext, name: &ProfileName) -> Result<Sensitive, ProviderError> {
    let store = ctx.secrets.clone();
    let key = SecretKey::Profile(name.clone());
    let got = tokio::task::spawn_blocking(move || store.get_json::<StoredBearerToken>(&key))
        .await
        .map_err(|e| ProviderError::Secret(format!("keyring task failed: {e}")))?
        .map_err(|e| ProviderError::Secret(e.to_string()))?;
    match got {
        Some(t) if !t.bearer_token.is_empty() => Ok(t.bearer_token),
        _ => Err(ProviderError::NeedsUser(format!(
            "profile {name} has no bearer token in the keyring; import it again or store one with `alicred profile add {name} --type bearer-token --replace` (token in ALIBABA_CLOUD_BEARER_TOKEN with --from-env)"
        ))),
    }
}

/// What a tool's environment gets for a `bearer-token` profile (`alicred
/// exec`/`env`): the token, and the header when it is not the default.
pub fn tool_env(token: &Sensitive, header_key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut v = vec![(BEARER_TOKEN_ENV, token.expose().to_string())];
    if let Some(h) = header_key.filter(|h| !h.eq_ignore_ascii_case(DEFAULT_HEADER_KEY)) {
        v.push((BEARER_TOKEN_HEADER_KEY_ENV, h.to_string()));
    }
    v
}

/// [`tool_env`] of `profile` when it is a `bearer-token` profile (its token
/// read from the keyring); `None` for every other type.
pub async fn tool_env_of(
    ctx: &ProviderContext,
    profile: &crate::profile::Profile,
) -> Option<Result<Vec<(&'static str, String)>, ProviderError>> {
    let crate::profile::ProfileKind::BearerToken(b) = &profile.kind else {
        return None;
    };
    Some(
        load(ctx, &profile.name)
            .await
            .map(|t| tool_env(&t, b.header_key.as_deref())),
    )
}

/// Why a bearer token is not served as credentials, and what works instead.
pub fn not_credentials(name: &ProfileName) -> String {
    format!(
        "profile {name} is a bearer-token profile: a bearer token is not an AccessKey, so it is not served as credentials (endpoint, creds, export); run the tool with `alicred exec {name} -- …` or `eval \"$(alicred env {name})\"`, which set {BEARER_TOKEN_ENV}"
    )
}

/// Stands in the engine for a `bearer-token` profile: every fetch says why
/// there are no credentials to serve.
#[derive(Debug)]
pub struct BearerTokenProvider {
    name: ProfileName,
}

impl BearerTokenProvider {
    pub fn new(name: ProfileName) -> Self {
        Self { name }
    }
}

#[async_trait]
impl Provider for BearerTokenProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        Err(ProviderError::Config(not_credentials(&self.name)))
    }

    fn describe(&self) -> String {
        format!(
            "the bearer token of profile {} (not credentials)",
            self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_header_names_are_cleaned_like_the_cli_does() {
        assert_eq!(sanitize("abc\r\ndef\0").expose(), "abcdef");
        assert_eq!(
            check_header_key(" x-acs-bearer-token "),
            Ok("x-acs-bearer-token".into())
        );
        for bad in ["", "a b", "a:b", "a\tb", "ä"] {
            assert!(check_header_key(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn it_is_never_served_as_credentials() {
        let p = BearerTokenProvider::new("b".parse().expect("name"));
        let e = p.retrieve().await.expect_err("no credentials");
        assert!(e.to_string().contains("ALIBABA_CLOUD_BEARER_TOKEN"), "{e}");
        assert!(!e.is_transient());
    }
}
