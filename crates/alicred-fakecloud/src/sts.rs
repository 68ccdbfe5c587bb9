//! STS: `AssumeRole`, `AssumeRoleWithOIDC` (unsigned) and `GetCallerIdentity`.

use crate::error::ApiError;
use crate::issue::format_expiration;
use crate::rpc::{Caller, RpcCall};
use crate::state::{StsCredential, World};
use crate::util::{Params, iso, random_digits};
use chrono::Duration;
use serde_json::{Value, json};

pub(crate) const ACTIONS: &[&str] = &["AssumeRole", "AssumeRoleWithOIDC", "GetCallerIdentity"];

const DEFAULT_DURATION: u64 = 3600;
const MIN_DURATION: u64 = 900;

/// Splits `acs:ram::<account>:role/<name>`.
pub(crate) fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, role) = rest.split_once(":role/")?;
    let valid_account = !account.is_empty() && account.chars().all(|c| c.is_ascii_digit());
    let valid_role = !role.is_empty()
        && role.len() <= 64
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    (valid_account && valid_role).then(|| (account.to_owned(), role.to_owned()))
}

fn role_arn(p: &Params) -> Result<(String, String), ApiError> {
    let arn = p
        .non_empty("RoleArn")
        .ok_or_else(|| ApiError::missing("RoleArn"))?;
    parse_role_arn(arn).ok_or_else(|| {
        ApiError::bad(
            "InvalidParameter.RoleArn",
            "The parameter RoleArn is wrong.",
        )
    })
}

fn session_name(p: &Params, required: bool) -> Result<String, ApiError> {
    let Some(name) = p.non_empty("RoleSessionName") else {
        return if required {
            Err(ApiError::missing("RoleSessionName"))
        } else {
            Ok(format!("oidc-{}", random_digits(10)))
        };
    };
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c));
    if !ok {
        return Err(ApiError::bad(
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrong: 2-64 characters of letters, digits and .@-_",
        ));
    }
    Ok(name.to_owned())
}

fn duration(p: &Params, max: u64) -> Result<u64, ApiError> {
    let Some(raw) = p.non_empty("DurationSeconds") else {
        return Ok(DEFAULT_DURATION.min(max));
    };
    let bad = || {
        ApiError::bad(
            "InvalidParameter.DurationSeconds",
            format!("The Min/Max value of DurationSeconds is {MIN_DURATION}/{max} seconds."),
        )
    };
    let d: u64 = raw.parse().map_err(|_| bad())?;
    if d < MIN_DURATION || d > max {
        return Err(bad());
    }
    Ok(d)
}

fn check_policy(p: &Params) -> Result<(), ApiError> {
    let Some(policy) = p.non_empty("Policy") else {
        return Ok(());
    };
    if policy.len() > 2048 {
        return Err(ApiError::bad(
            "InvalidParameter.PolicyLength",
            "The parameter Policy is too long (at most 2048 characters).",
        ));
    }
    match serde_json::from_str::<Value>(policy) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(ApiError::bad(
            "InvalidParameter.PolicyGrammar",
            "The parameter Policy has not passed grammar check.",
        )),
    }
}

fn check_external_id(p: &Params) -> Result<(), ApiError> {
    let Some(id) = p.get("ExternalId") else {
        return Ok(());
    };
    let ok = (2..=1224).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "InvalidParameter.ExternalId",
            "The parameter ExternalId is wrong: 2-1224 characters of [\\w+=,.@:/-].",
        ))
    }
}

fn credentials_body(cred: &StsCredential, call: &RpcCall) -> Value {
    json!({
        "AssumedRoleUser": {
            "Arn": cred.arn(),
            "AssumedRoleId": format!("{}:{}", cred.role_id, cred.session_name),
        },
        "Credentials": {
            "AccessKeyId": cred.id,
            "AccessKeySecret": cred.secret,
            "SecurityToken": cred.token,
            "Expiration": format_expiration(cred.expiration, call.cred_fault),
        },
    })
}

pub(crate) fn handle(
    w: &mut World,
    caller: &Caller,
    action: &str,
    call: &RpcCall,
) -> Result<Value, ApiError> {
    match action {
        "AssumeRole" => assume_role(w, caller, call),
        "GetCallerIdentity" => Ok(caller_identity(w, caller)),
        _ => Err(ApiError::not_found(
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    }
}

fn assume_role(w: &mut World, caller: &Caller, call: &RpcCall) -> Result<Value, ApiError> {
    let p = &call.params;
    let (account, role) = role_arn(p)?;
    let session = session_name(p, true)?;
    check_policy(p)?;
    check_external_id(p)?;
    if matches!(caller, Caller::Root { .. }) {
        return Err(ApiError::new(
            403,
            "NoPermission",
            "Roles may not be assumed by root accounts.",
        ));
    }
    let max = w.role(&account, &role)?.max_session_duration;
    let d = duration(p, max)?;
    let cred = w.issue_sts(&account, &role, &session, d, "AssumeRole", call.cred_fault)?;
    Ok(credentials_body(&cred, call))
}

fn caller_identity(w: &World, caller: &Caller) -> Value {
    match caller {
        Caller::Root { account } | Caller::ClientKey { account } => json!({
            "IdentityType": "Account",
            "AccountId": account,
            "PrincipalId": account,
            "UserId": account,
            "Arn": format!("acs:ram::{account}:root"),
        }),
        Caller::User { account, name } => {
            let user_id = w
                .user(account, name)
                .map(|u| u.user_id.clone())
                .unwrap_or_default();
            json!({
                "IdentityType": "RAMUser",
                "AccountId": account,
                "PrincipalId": user_id,
                "UserId": user_id,
                "Arn": format!("acs:ram::{account}:user/{name}"),
            })
        }
        Caller::Assumed(c) => json!({
            "IdentityType": "AssumedRoleUser",
            "AccountId": c.account,
            "PrincipalId": format!("{}:{}", c.role_id, c.session_name),
            "RoleId": c.role_id,
            "Arn": c.caller_arn(),
        }),
    }
}

/// `AssumeRoleWithOIDC`: not signed; the OIDC token is the proof.
pub(crate) fn assume_role_with_oidc(w: &mut World, call: &RpcCall) -> Result<Value, ApiError> {
    let p = &call.params;
    let (account, role) = role_arn(p)?;
    let provider_arn = p
        .non_empty("OIDCProviderArn")
        .ok_or_else(|| ApiError::missing("OIDCProviderArn"))?;
    let token = p
        .non_empty("OIDCToken")
        .ok_or_else(|| ApiError::missing("OIDCToken"))?;
    if token.len() > 10_000 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::bad(
            "InvalidParameter.OIDCToken",
            "The parameter OIDCToken is malformed.",
        ));
    }
    let session = session_name(p, false)?;
    check_policy(p)?;
    let provider = w.oidc.get(provider_arn).ok_or_else(|| {
        ApiError::not_found(
            "EntityNotExist.OIDCProvider",
            format!("The OIDC provider does not exist: {provider_arn}."),
        )
    })?;
    if provider.account != account {
        return Err(ApiError::bad(
            "InvalidParameter.OIDCProviderArn",
            "The OIDC provider and the role belong to different accounts.",
        ));
    }
    if !provider.tokens.iter().any(|t| t == token) {
        return Err(ApiError::bad(
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDCToken is invalid or has expired.",
        ));
    }
    let info = (
        provider.subject.clone(),
        provider.issuer.clone(),
        provider.client_ids.join(","),
    );
    let max = w.role(&account, &role)?.max_session_duration;
    let d = duration(p, max)?;
    let now = w.now();
    let cred = w.issue_sts(
        &account,
        &role,
        &session,
        d,
        "AssumeRoleWithOIDC",
        call.cred_fault,
    )?;
    let mut body = credentials_body(&cred, call);
    if let Value::Object(m) = &mut body {
        m.insert(
            "OIDCTokenInfo".into(),
            json!({
                "Subject": info.0,
                "Issuer": info.1,
                "ClientIds": info.2,
                "IssuanceTime": iso(now - Duration::minutes(1)),
                "ExpirationTime": iso(now + Duration::hours(1)),
            }),
        );
        m.insert("SourceIdentity".into(), json!(""));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_shapes() {
        assert_eq!(
            parse_role_arn("acs:ram::1234567890123456:role/admin"),
            Some(("1234567890123456".into(), "admin".into()))
        );
        assert!(parse_role_arn("acs:ram::12ab:role/admin").is_none());
        assert!(parse_role_arn("acs:ram::123:user/admin").is_none());
        assert!(parse_role_arn("acs:ram::123:role/").is_none());
        assert!(parse_role_arn("acs:ram::123:role/a b").is_none());
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        )
    }

    #[test]
    fn validations() {
        assert!(session_name(&params(&[("RoleSessionName", "a")]), true).is_err());
        assert!(session_name(&params(&[("RoleSessionName", "al ice")]), true).is_err());
        assert!(session_name(&params(&[("RoleSessionName", "alice@x.y-z_1")]), true).is_ok());
        assert!(session_name(&params(&[]), true).is_err());
        assert!(session_name(&params(&[]), false).is_ok());
        assert_eq!(duration(&params(&[]), 43200).ok(), Some(3600));
        assert!(duration(&params(&[("DurationSeconds", "899")]), 3600).is_err());
        assert!(duration(&params(&[("DurationSeconds", "3601")]), 3600).is_err());
        assert!(duration(&params(&[("DurationSeconds", "x")]), 3600).is_err());
        assert_eq!(
            duration(&params(&[("DurationSeconds", "43200")]), 43200).ok(),
            Some(43200)
        );
        assert!(check_policy(&params(&[("Policy", "{not json")])).is_err());
        assert!(check_policy(&params(&[("Policy", "[1]")])).is_err());
        assert!(check_policy(&params(&[("Policy", r#"{"Version":"1"}"#)])).is_ok());
        assert!(check_external_id(&params(&[("ExternalId", "abc-123:/=")])).is_ok());
        assert!(check_external_id(&params(&[("ExternalId", "a")])).is_err());
        assert!(check_external_id(&params(&[("ExternalId", "a b")])).is_err());
    }
}
