//! The RPC gateway shared by STS, RAM/IMS and KMS: product resolution, authentication
//! (signature, timestamp, nonce, keys and security tokens) and dispatch.

use crate::error::ApiError;
use crate::faults::Service;
use crate::issue::CredFault;
use crate::signature::{string_to_sign, verify_hmac_sha1, verify_sha256_with_rsa};
use crate::state::{KeyStatus, Owner, StsCredential, World};
use crate::util::{Params, parse_iso};
use chrono::Duration;
use serde_json::Value;

/// An RPC product, chosen by path prefix and/or `Version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    Sts,
    Ram,
    Ims,
    Kms,
}

impl Product {
    pub(crate) fn from_version(v: &str) -> Option<Product> {
        match v {
            "2015-04-01" => Some(Product::Sts),
            "2015-05-01" => Some(Product::Ram),
            "2019-08-15" => Some(Product::Ims),
            "2016-01-20" => Some(Product::Kms),
            _ => None,
        }
    }

    /// Resolves the product for a request on the path prefix `path` (None = `/`).
    pub(crate) fn resolve(path: Option<Service>, version: Option<&str>) -> Result<Self, ApiError> {
        let Some(version) = version.filter(|v| !v.is_empty()) else {
            return Err(ApiError::missing("Version"));
        };
        let invalid = || {
            ApiError::bad(
                "InvalidVersion",
                format!("Specified parameter Version is not valid: {version}."),
            )
        };
        let p = Product::from_version(version).ok_or_else(invalid)?;
        match (path, p) {
            (None, p) => Ok(p),
            (Some(Service::Sts), Product::Sts)
            | (Some(Service::Ram), Product::Ram | Product::Ims)
            | (Some(Service::Kms), Product::Kms) => Ok(p),
            _ => Err(invalid()),
        }
    }

    pub(crate) fn service(self) -> Service {
        match self {
            Product::Sts => Service::Sts,
            Product::Ram | Product::Ims => Service::Ram,
            Product::Kms => Service::Kms,
        }
    }

    pub(crate) fn host_id(self) -> &'static str {
        match self {
            Product::Sts => "sts.aliyuncs.com",
            Product::Ram => "ram.aliyuncs.com",
            Product::Ims => "ims.aliyuncs.com",
            Product::Kms => "kms.cn-hangzhou.aliyuncs.com",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::Sts => "Sts",
            Product::Ram => "Ram",
            Product::Ims => "Ims",
            Product::Kms => "Kms",
        }
    }
}

/// One parsed RPC request.
#[derive(Debug, Clone)]
pub(crate) struct RpcCall {
    /// The product, or the reason it could not be determined.
    pub product: Result<Product, ApiError>,
    pub method: String,
    pub params: Params,
    pub request_id: String,
    pub cred_fault: Option<CredFault>,
}

impl RpcCall {
    pub(crate) fn action(&self) -> &str {
        self.params.get("Action").unwrap_or("")
    }
}

/// The authenticated principal of a signed request.
#[derive(Clone)]
pub(crate) enum Caller {
    Root { account: String },
    User { account: String, name: String },
    Assumed(StsCredential),
    ClientKey { account: String },
}

impl Caller {
    pub(crate) fn account(&self) -> &str {
        match self {
            Caller::Root { account }
            | Caller::User { account, .. }
            | Caller::ClientKey { account } => account,
            Caller::Assumed(c) => &c.account,
        }
    }
}

const SKEW_MINUTES: i64 = 15;

fn signature_mismatch(sts: &str) -> ApiError {
    ApiError::bad(
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{sts}"
        ),
    )
}

fn key_not_found() -> ApiError {
    ApiError::not_found(
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )
}

/// Verifies signature, timestamp, nonce, key status and security token.
pub(crate) fn authenticate(
    w: &mut World,
    call: &RpcCall,
    product: Product,
) -> Result<Caller, ApiError> {
    let p = &call.params;
    let key_id = p
        .non_empty("AccessKeyId")
        .ok_or_else(|| ApiError::missing("AccessKeyId"))?;
    let signature = p.non_empty("Signature").ok_or_else(|| {
        ApiError::bad(
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    })?;
    let method = p
        .non_empty("SignatureMethod")
        .ok_or_else(|| ApiError::missing("SignatureMethod"))?;
    if p.get("SignatureVersion") != Some("1.0") {
        return Err(ApiError::bad(
            "UnsupportedSignatureVersion",
            "Specified signature version is not supported.",
        ));
    }
    let ts = p
        .non_empty("Timestamp")
        .ok_or_else(|| ApiError::missing("Timestamp"))?;
    let ts = parse_iso(ts).ok_or_else(|| {
        ApiError::bad(
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    if (w.now() - ts).abs() > Duration::minutes(SKEW_MINUTES) {
        return Err(ApiError::bad(
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let nonce = p
        .non_empty("SignatureNonce")
        .ok_or_else(|| ApiError::missing("SignatureNonce"))?;
    let sts = string_to_sign(&call.method, &p.0);

    let caller = match method {
        "HMAC-SHA1" => verify_hmac_caller(w, p, key_id, &sts, signature)?,
        "SHA256withRSA" => {
            if product != Product::Kms {
                return Err(ApiError::bad(
                    "InvalidSignatureMethod",
                    "SHA256withRSA (ClientKey) signatures are accepted by KMS only.",
                ));
            }
            if p.get("SignatureType") != Some("PRIVATEKEY") {
                return Err(ApiError::bad(
                    "IncompleteSignature",
                    "SignatureType must be PRIVATEKEY for SHA256withRSA.",
                ));
            }
            let ck = w.client_keys.get(key_id).ok_or_else(key_not_found)?;
            if !verify_sha256_with_rsa(&ck.public_key, &sts, signature) {
                return Err(signature_mismatch(&sts));
            }
            Caller::ClientKey {
                account: ck.account.clone(),
            }
        }
        other => {
            return Err(ApiError::bad(
                "UnsupportedSignatureMethod",
                format!("Specified signature method is not supported: {other}."),
            ));
        }
    };

    if !w.use_nonce(key_id, nonce) {
        return Err(ApiError::bad(
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    let now = w.now();
    if let Some(k) = w.keys.get_mut(key_id) {
        k.last_used = Some(now);
    }
    Ok(caller)
}

fn verify_hmac_caller(
    w: &World,
    p: &Params,
    key_id: &str,
    sts: &str,
    signature: &str,
) -> Result<Caller, ApiError> {
    if let Some(cred) = w.sts.get(key_id) {
        if !verify_hmac_sha1(&cred.secret, sts, signature) {
            return Err(signature_mismatch(sts));
        }
        let token = p
            .non_empty("SecurityToken")
            .ok_or_else(|| ApiError::missing("SecurityToken"))?;
        if token != cred.token {
            return Err(ApiError::bad(
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ));
        }
        if w.now() >= cred.expiration {
            return Err(ApiError::bad(
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
            ));
        }
        return Ok(Caller::Assumed(cred.clone()));
    }
    let key = w.keys.get(key_id).ok_or_else(key_not_found)?;
    if key.status == KeyStatus::Inactive {
        return Err(ApiError::new(
            403,
            "InvalidAccessKeyId.Inactive",
            "Specified access key is disabled.",
        ));
    }
    if !verify_hmac_sha1(&key.secret, sts, signature) {
        return Err(signature_mismatch(sts));
    }
    Ok(match &key.owner {
        Owner::Root => Caller::Root {
            account: key.account.clone(),
        },
        Owner::User(name) => Caller::User {
            account: key.account.clone(),
            name: name.clone(),
        },
    })
}

/// Validates, authenticates and runs one RPC call; returns the success body.
pub(crate) fn dispatch(w: &mut World, call: &RpcCall) -> Result<Value, ApiError> {
    let product = call.product.clone()?;
    let action = call
        .params
        .non_empty("Action")
        .ok_or_else(|| ApiError::missing("Action"))?;
    let known = match product {
        Product::Sts => crate::sts::ACTIONS.contains(&action),
        Product::Ram | Product::Ims => crate::ram::ACTIONS.contains(&action),
        Product::Kms => crate::kms::ACTIONS.contains(&action),
    };
    if !known {
        return Err(ApiError::not_found(
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        ));
    }
    if product == Product::Sts && action == "AssumeRoleWithOIDC" {
        return crate::sts::assume_role_with_oidc(w, call);
    }
    let caller = authenticate(w, call, product)?;
    match product {
        Product::Sts => crate::sts::handle(w, &caller, action, call),
        Product::Ram | Product::Ims => crate::ram::handle(w, &caller, action, &call.params),
        Product::Kms => crate::kms::handle(w, &caller, action, &call.params),
    }
}
