//! aliyun CLI `CloudSSO` and `OAuth` profiles: the profile, and its tokens bound for the
//! keyring. An expired token is still imported; the profile then asks for a sign-in.

use super::aliyun_cli::CliProfile;
use super::clean_name;
use crate::profile::{OauthSite, ProfileInput, ProfileName};
use crate::signin::tokens::{ImportedSignIn, OauthTokens, SsoSessionToken};
use chrono::{DateTime, Utc};
use url::Url;

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// An expiry from the file; one that is no time at all counts as long past,
/// one absurdly far ahead is clamped (crate::clamp).
fn at(unix: Option<i64>) -> DateTime<Utc> {
    unix.and_then(|t| crate::clamp::unix(Utc::now(), t))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The session a CloudSSO profile belongs to: profiles with one sign-in URL share it,
/// named after the directory (`d-…`) or, failing that, the portal host.
pub(super) fn session_name(url: &Url) -> String {
    let dir = url
        .path_segments()
        .and_then(|mut s| s.find(|seg| seg.starts_with("d-")))
        .map(str::to_string);
    let base = dir.unwrap_or_else(|| {
        url.host_str()
            .and_then(|h| h.split('.').next())
            .unwrap_or("sso")
            .to_string()
    });
    clean_name(&format!("aliyun-{base}"))
}

pub(super) fn cloud_sso(
    p: &CliProfile,
    base: &ProfileInput,
) -> Result<(ProfileInput, Option<ImportedSignIn>), String> {
    let url_text = opt(&p.cloud_sso_sign_in_url).ok_or("cloud_sso_sign_in_url is empty")?;
    let url = Url::parse(&url_text).map_err(|_| "cloud_sso_sign_in_url is not a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("cloud_sso_sign_in_url is not an http(s) URL".into());
    }
    let session = session_name(&url);
    if opt(&p.cloud_sso_account_id).is_none() || opt(&p.cloud_sso_access_config).is_none() {
        return Err(format!(
            "CloudSSO profile without cloud_sso_account_id or cloud_sso_access_config; sign in with `alicred sso login {session} --sign-in-url {url}` instead"
        ));
    }
    let input = ProfileInput {
        r#type: "cloud-sso".into(),
        sso_session: Some(session.clone()),
        sign_in_url: Some(url.to_string()),
        account_id: opt(&p.cloud_sso_account_id),
        access_config: opt(&p.cloud_sso_access_config),
        ..base.clone()
    };
    let token = p
        .cloud_sso_access_token
        .clone()
        .filter(|t| !t.is_empty())
        .and_then(|t| {
            let session: ProfileName = session.parse().ok()?;
            Some(ImportedSignIn::Sso {
                session,
                token: SsoSessionToken {
                    sign_in_url: url.clone(),
                    access_token: t,
                    expires_at: at(p.cloud_sso_access_token_expire),
                },
            })
        });
    Ok((input, token))
}

pub(super) fn oauth(
    p: &CliProfile,
    base: &ProfileInput,
) -> Result<(ProfileInput, Option<ImportedSignIn>), String> {
    let site = match p.oauth_site_type.trim().to_ascii_uppercase().as_str() {
        "" | "CN" => OauthSite::Cn,
        "INTL" => OauthSite::Intl,
        // The value is not quoted: it comes from a file (docs/security.md).
        _ => return Err("oauth_site_type is neither CN nor INTL".into()),
    };
    let input = ProfileInput {
        r#type: "oauth".into(),
        site: Some(if site == OauthSite::Cn { "cn" } else { "intl" }.into()),
        sts_endpoint: None,
        ..base.clone()
    };
    let access = p.oauth_access_token.clone().filter(|t| !t.is_empty());
    let refresh = p.oauth_refresh_token.clone().filter(|t| !t.is_empty());
    let expires = at(p.oauth_access_token_expire);
    let tokens = match (access, refresh) {
        (None, None) => None,
        (a, r) => {
            let expired = expires <= Utc::now();
            let profile: Option<ProfileName> = base.name.parse().ok();
            profile.map(|profile| ImportedSignIn::Oauth {
                profile,
                tokens: OauthTokens {
                    needs_sign_in: expired && r.is_none(),
                    access_token: a.unwrap_or_else(|| crate::Sensitive::new("")),
                    access_expires_at: expires,
                    refresh_token: r.unwrap_or_else(|| crate::Sensitive::new("")),
                },
            })
        }
    };
    Ok((input, tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_named_after_the_directory() {
        let u = Url::parse("https://signin-cn-shanghai.alibabacloudsso.com/d-abc123/login")
            .expect("url");
        assert_eq!(session_name(&u), "aliyun-d-abc123");
        let u = Url::parse("http://127.0.0.1:9/login").expect("url");
        assert_eq!(session_name(&u), "aliyun-127");
    }
}
