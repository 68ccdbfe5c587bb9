//! RAM (2015-05-01) and IMS (2019-08-15) AccessKey management, with the two-key limit.

use crate::error::ApiError;
use crate::rpc::Caller;
use crate::state::{KeyStatus, Owner, World};
use crate::util::{Params, iso};
use serde_json::{Value, json};

pub(crate) const ACTIONS: &[&str] = &[
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "GetAccessKeyLastUsed",
];

/// The key owner a request talks about: `UserName` (IMS: `UserPrincipalName`), else the caller.
fn target(w: &World, caller: &Caller, p: &Params) -> Result<(String, Owner), ApiError> {
    let account = caller.account().to_owned();
    let named = p.non_empty("UserName").map(str::to_owned).or_else(|| {
        p.non_empty("UserPrincipalName")
            .map(|upn| upn.split('@').next().unwrap_or(upn).to_owned())
    });
    if let Some(name) = named {
        w.user(&account, &name)?;
        return Ok((account, Owner::User(name)));
    }
    match caller {
        Caller::Root { .. } => Ok((account, Owner::Root)),
        Caller::User { name, .. } => Ok((account, Owner::User(name.clone()))),
        Caller::Assumed(_) | Caller::ClientKey { .. } => Err(ApiError::missing("UserName")),
    }
}

fn key_of_owner<'a>(
    w: &'a World,
    account: &str,
    owner: &Owner,
    p: &Params,
) -> Result<&'a str, ApiError> {
    let id = p
        .non_empty("UserAccessKeyId")
        .ok_or_else(|| ApiError::missing("UserAccessKeyId"))?;
    match w.keys.get(id) {
        Some(k) if k.account == account && &k.owner == owner => Ok(k.id.as_str()),
        _ => Err(ApiError::not_found(
            "EntityNotExist.User.AccessKey",
            format!("The access key does not exist: {id}."),
        )),
    }
}

pub(crate) fn handle(
    w: &mut World,
    caller: &Caller,
    action: &str,
    p: &Params,
) -> Result<Value, ApiError> {
    let (account, owner) = target(w, caller, p)?;
    match action {
        "CreateAccessKey" => {
            let (id, secret) = w.create_access_key(&account, owner, None, "CreateAccessKey")?;
            let created = w
                .keys
                .get(&id)
                .map(|k| iso(k.create_date))
                .unwrap_or_default();
            Ok(json!({
                "AccessKey": {
                    "AccessKeyId": id,
                    "AccessKeySecret": secret,
                    "Status": "Active",
                    "CreateDate": created,
                }
            }))
        }
        "ListAccessKeys" => {
            let keys: Vec<Value> = w
                .keys_of(&account, &owner)
                .into_iter()
                .map(|k| {
                    json!({
                        "AccessKeyId": k.id,
                        "Status": k.status.as_str(),
                        "CreateDate": iso(k.create_date),
                    })
                })
                .collect();
            Ok(json!({ "AccessKeys": { "AccessKey": keys } }))
        }
        "UpdateAccessKey" => {
            let id = key_of_owner(w, &account, &owner, p)?.to_owned();
            let status = p
                .non_empty("Status")
                .ok_or_else(|| ApiError::missing("Status"))?;
            let status = KeyStatus::parse(status).ok_or_else(|| {
                ApiError::bad(
                    "InvalidParameter.Status",
                    "The parameter Status must be Active or Inactive.",
                )
            })?;
            if let Some(k) = w.keys.get_mut(&id) {
                k.status = status;
            }
            Ok(json!({}))
        }
        "DeleteAccessKey" => {
            let id = key_of_owner(w, &account, &owner, p)?.to_owned();
            w.keys.remove(&id);
            Ok(json!({}))
        }
        "GetAccessKeyLastUsed" => {
            let id = key_of_owner(w, &account, &owner, p)?;
            let last = w
                .keys
                .get(id)
                .and_then(|k| k.last_used)
                .map(iso)
                .unwrap_or_default();
            Ok(json!({ "AccessKeyLastUsed": { "LastUsedDate": last } }))
        }
        _ => Err(ApiError::not_found(
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    }
}
