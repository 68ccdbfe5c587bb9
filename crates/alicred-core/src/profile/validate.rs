//! Field validation, shared by the CLI, the dashboard's forms and imports.
//!
//! Every rule returns a [`Problem`] naming the field and saying what to do, so
//! the form can show it under the field and the CLI as one line.

use super::{Endpoints, PasswordSource, Profile, ProfileKind, ProfileName};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Problem {
    pub field: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub(crate) fn error(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            severity: Severity::Error,
            message: message.into(),
        }
    }
    pub(crate) fn warning(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            severity: Severity::Warning,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Check one profile. `others` are the profiles already saved (a source must
/// exist among them, and following sources must never come back to `p`).
pub fn validate(p: &Profile, others: &BTreeMap<ProfileName, Profile>) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(r) = &p.region {
        check_region(r, &mut out);
    }
    match &p.kind {
        ProfileKind::AccessKey(a) => {
            if let Some(d) = a.max_key_age_days
                && !(1..=3650).contains(&d)
            {
                out.push(Problem::error(
                    "max-key-age-days",
                    "must be between 1 and 3650 days",
                ));
            }
            if let Some(u) = &a.user_name {
                check_user_name(u, &mut out);
            }
            check_endpoints(&a.endpoints, &mut out);
        }
        ProfileKind::KmsSecret(k) => {
            if k.secret_name.trim().is_empty() || k.secret_name.len() > 192 {
                out.push(Problem::error(
                    "secret-name",
                    "give the KMS secret's name (1-192 characters)",
                ));
            }
            check_readable_file("client-key-file", &k.client_key_file, true, &mut out);
            match &k.client_key_password {
                PasswordSource::Env(v) => check_env_name("client-key-password-env", v, &mut out),
                PasswordSource::File(f) => {
                    check_readable_file("client-key-password-file", f, true, &mut out)
                }
            }
            check_endpoints(&k.endpoints, &mut out);
        }
        ProfileKind::StsToken(s) => check_endpoints(&s.endpoints, &mut out),
        ProfileKind::RamRoleArn(r) => {
            check_role_arn("role-arn", &r.role_arn, &mut out);
            check_session_name(&r.session_name, &mut out);
            check_duration(r.duration_seconds, &mut out);
            if let Some(pol) = &r.policy {
                check_policy(pol, &mut out);
            }
            if let Some(x) = &r.external_id {
                check_external_id(x, &mut out);
            }
            check_source(p, others, &mut out);
            check_endpoints(&r.endpoints, &mut out);
        }
        ProfileKind::EcsRamRole(e) => {
            if let Some(r) = &e.role_name
                && !valid_role_name(r)
            {
                out.push(Problem::error(
                    "role-name",
                    "a RAM role name is 1-64 letters, digits, '.' or '-'",
                ));
            }
            check_endpoints(&e.endpoints, &mut out);
        }
        ProfileKind::OidcRoleArn(o) => {
            check_role_arn("role-arn", &o.role_arn, &mut out);
            check_oidc_provider_arn(&o.oidc_provider_arn, &mut out);
            // The platform often mounts the token later (a pod not yet started),
            // so a missing file is a warning, not a refusal.
            check_readable_file("oidc-token-file", &o.oidc_token_file, false, &mut out);
            check_session_name(&o.session_name, &mut out);
            check_duration(o.duration_seconds, &mut out);
            if let Some(pol) = &o.policy {
                check_policy(pol, &mut out);
            }
            check_endpoints(&o.endpoints, &mut out);
        }
        ProfileKind::Environment(e) => check_endpoints(&e.endpoints, &mut out),
        ProfileKind::CredentialsUri(c) => {
            check_url("uri", &c.uri, &mut out);
            check_endpoints(&c.endpoints, &mut out);
        }
        ProfileKind::CloudSso(c) => {
            check_url("sign-in-url", &c.sign_in_url, &mut out);
            if !valid_account_id(&c.account_id) {
                out.push(Problem::error(
                    "account-id",
                    "an account id is 4-32 digits (see `alicred sso login` for the list)",
                ));
            }
            if !valid_token_id(&c.access_config) {
                out.push(Problem::error(
                    "access-config",
                    "an access configuration id is 1-64 letters, digits, '-' or '_' (ac-…)",
                ));
            }
            check_endpoints(&c.endpoints, &mut out);
        }
        ProfileKind::Oauth(o) => {
            if let Some(u) = &o.oauth_sign_in_url {
                check_url("oauth-sign-in-url", u, &mut out);
            }
            if let Some(u) = &o.oauth_endpoint {
                check_url("oauth-endpoint", u, &mut out);
            }
            if let Some(c) = &o.client_id
                && !valid_token_id(c)
            {
                out.push(Problem::error(
                    "client-id",
                    "a client id is 1-64 letters, digits, '-' or '_'",
                ));
            }
            check_endpoints(&o.endpoints, &mut out);
        }
        ProfileKind::External(x) => {
            check_endpoints(&x.endpoints, &mut out);
            match crate::shell_words::shell_words_split(&x.command) {
                Ok(words) if !words.is_empty() => {}
                Ok(_) => out.push(Problem::error("command", "give the command to run")),
                Err(e) => out.push(Problem::error("command", e)),
            }
            if !(1..=600).contains(&x.timeout_seconds) {
                out.push(Problem::error(
                    "timeout-seconds",
                    "must be between 1 and 600 seconds",
                ));
            }
        }
        // The header name was checked when the input was read.
        ProfileKind::BearerToken(_) => {}
    }
    out
}

/// Only the errors, as one line each.
pub fn errors(problems: &[Problem]) -> Vec<&Problem> {
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

fn check_region(r: &str, out: &mut Vec<Problem>) {
    if !crate::aliyun::endpoints::is_region_id(r) {
        out.push(Problem::error(
            "region",
            format!("{r:?} is not a region id like cn-hangzhou"),
        ));
    }
}

fn valid_role_name(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 64
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

fn check_user_name(u: &str, out: &mut Vec<Problem>) {
    let ok = !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !ok {
        out.push(Problem::error(
            "user-name",
            "a RAM user name is 1-64 letters, digits, '.', '_' or '-'",
        ));
    }
}

/// `acs:ram::<account id>:role/<name>`. The messages name the field, never
/// the value: it may come from an imported file (a secret pasted into the
/// wrong field would be echoed).
pub fn check_role_arn(field: &'static str, arn: &str, out: &mut Vec<Problem>) {
    let hint = "expected acs:ram::<account-id>:role/<role-name>";
    let Some(rest) = arn.strip_prefix("acs:ram::") else {
        out.push(Problem::error(field, format!("not a role ARN; {hint}")));
        return;
    };
    let Some((account, role)) = rest.split_once(":role/") else {
        out.push(Problem::error(field, format!("not a role ARN; {hint}")));
        return;
    };
    if account.is_empty() || !account.chars().all(|c| c.is_ascii_digit()) {
        out.push(Problem::error(
            field,
            format!("the account id of the role ARN must be digits; {hint}"),
        ));
    } else if !valid_role_name(role) {
        out.push(Problem::error(
            field,
            "the role name of the role ARN must be 1-64 letters, digits, '.' or '-'".to_string(),
        ));
    }
}

fn check_oidc_provider_arn(arn: &str, out: &mut Vec<Problem>) {
    let ok = arn
        .strip_prefix("acs:ram::")
        .and_then(|r| r.split_once(":oidc-provider/"))
        .is_some_and(|(acct, name)| {
            !acct.is_empty()
                && acct.chars().all(|c| c.is_ascii_digit())
                && !name.is_empty()
                && name.len() <= 128
        });
    if !ok {
        out.push(Problem::error(
            "oidc-provider-arn",
            "not an OIDC provider ARN; expected acs:ram::<account-id>:oidc-provider/<name>"
                .to_string(),
        ));
    }
}

/// RoleSessionName: 2-64 of letters, digits and `.@-_` (STS rejects others).
fn check_session_name(s: &str, out: &mut Vec<Problem>) {
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_'));
    if !(2..=64).contains(&s.len()) || !ok_chars {
        out.push(Problem::error(
            "session-name",
            "use 2-64 letters, digits, '.', '@', '-' or '_'",
        ));
    }
}

fn check_duration(d: u32, out: &mut Vec<Problem>) {
    if !(900..=43200).contains(&d) {
        out.push(Problem::error(
            "duration",
            format!("{d} seconds is out of range; STS allows 900 to 43200 (the role's maximum session duration)"),
        ));
    }
}

fn check_policy(p: &str, out: &mut Vec<Problem>) {
    match serde_json::from_str::<serde_json::Value>(p) {
        Ok(v) if v.is_object() => {
            if p.len() > 2048 {
                out.push(Problem::error(
                    "policy",
                    "is longer than the 2048 characters STS accepts",
                ));
            }
        }
        Ok(_) => out.push(Problem::error(
            "policy",
            "must be a JSON object like {\"Version\":\"1\",\"Statement\":[...]}",
        )),
        Err(e) => out.push(Problem::error("policy", format!("is not valid JSON: {e}"))),
    }
}

fn check_external_id(x: &str, out: &mut Vec<Problem>) {
    let ok_chars = x
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    if !(2..=1224).contains(&x.len()) || !ok_chars {
        out.push(Problem::error(
            "external-id",
            "use 2-1224 letters, digits or _+=,.@:/-",
        ));
    }
}

fn check_env_name(field: &'static str, v: &str, out: &mut Vec<Problem>) {
    let ok = !v.is_empty()
        && !v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        out.push(Problem::error(
            field,
            format!("{v:?} is not an environment variable name"),
        ));
    }
}

fn check_readable_file(field: &'static str, path: &Path, required: bool, out: &mut Vec<Problem>) {
    if !path.is_absolute() {
        out.push(Problem::error(
            field,
            format!("{} must be an absolute path", path.display()),
        ));
        return;
    }
    match std::fs::File::open(path) {
        Ok(_) if path.is_file() => {}
        Ok(_) => out.push(Problem::error(
            field,
            format!("{} is not a regular file", path.display()),
        )),
        Err(e) => {
            let msg = format!("{} cannot be read: {}", path.display(), io_reason(&e));
            if required {
                out.push(Problem::error(field, msg));
            } else {
                out.push(Problem::warning(
                    field,
                    format!("{msg} (fine if it is mounted later)"),
                ));
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn valid_account_id(s: &str) -> bool {
    (4..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
}

fn valid_token_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

fn check_url(field: &'static str, u: &Url, out: &mut Vec<Problem>) {
    if !matches!(u.scheme(), "http" | "https") {
        out.push(Problem::error(
            field,
            format!("{u} must be an http:// or https:// URL"),
        ));
    } else if u.host_str().is_none_or(str::is_empty) {
        out.push(Problem::error(field, format!("{u} has no host")));
    } else if u.scheme() == "http" && !is_loopback_or_metadata(u) {
        out.push(Problem::warning(
            field,
            format!("{u} is plain http: credentials would cross the network unencrypted"),
        ));
    }
}

fn is_loopback_or_metadata(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip == std::net::Ipv4Addr::new(100, 100, 100, 200)
        }
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

fn check_endpoints(e: &Endpoints, out: &mut Vec<Problem>) {
    for (field, u) in [
        ("sts-endpoint", &e.sts),
        ("ram-endpoint", &e.ram),
        ("kms-endpoint", &e.kms),
        ("metadata-endpoint", &e.metadata),
    ] {
        if let Some(u) = u {
            check_url(field, u, out);
        }
    }
}

fn check_source(p: &Profile, others: &BTreeMap<ProfileName, Profile>, out: &mut Vec<Problem>) {
    let Some(first) = p.source() else { return };
    if first == &p.name {
        out.push(Problem::error(
            "source",
            format!("profile {} cannot be its own source", p.name),
        ));
        return;
    }
    let mut chain = vec![p.name.clone()];
    let mut cur = first.clone();
    loop {
        if chain.contains(&cur) {
            chain.push(cur);
            let names: Vec<_> = chain.iter().map(ProfileName::as_str).collect();
            out.push(Problem::error(
                "source",
                format!("source chain has a cycle: {}", names.join(" -> ")),
            ));
            return;
        }
        let Some(next) = others.get(&cur) else {
            out.push(Problem::error(
                "source",
                format!("source profile {cur} does not exist; add it first"),
            ));
            return;
        };
        chain.push(cur.clone());
        match next.source() {
            Some(s) if chain.len() <= 32 => cur = s.clone(),
            Some(_) => {
                out.push(Problem::error(
                    "source",
                    "source chain is deeper than 32 profiles",
                ));
                return;
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod quoting_tests {
    use super::*;

    /// Issue 18 item 9: the role ARN (from a file, perhaps a secret pasted
    /// into the wrong field) was quoted in the problem.
    #[test]
    fn a_bad_role_arn_is_named_not_echoed() {
        for arn in [
            "LTAI5tSecretValue0123",
            "acs:ram::LTAI5tSecretValue0123:role/x",
            "acs:ram::1234:role/LTAI5tSecretValue0123!",
            "acs:ram::1234/LTAI5tSecretValue0123",
        ] {
            let mut out = Vec::new();
            check_role_arn("role-arn", arn, &mut out);
            assert_eq!(out.len(), 1, "{arn}");
            let shown = format!("{} {:?}", out[0], out[0]);
            assert!(!shown.contains("LTAI5t"), "{shown}");
            assert!(shown.contains("role"), "{shown}");
        }
        let mut out = Vec::new();
        check_oidc_provider_arn("LTAI5tSecretValue0123", &mut out);
        assert!(!format!("{}", out[0]).contains("LTAI5t"));
    }
}
