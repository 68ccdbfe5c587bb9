//! KMS Secrets Manager (2016-01-20): `GetSecretValue` and `RotateSecret` of `RAMCredentials`
//! secrets. Callers sign with a ClientKey (SHA256withRSA) or an ordinary HMAC key.

use crate::error::ApiError;
use crate::rpc::Caller;
use crate::state::{Owner, Secret, SecretVersion, World};
use crate::util::{Params, iso, random_alnum};
use chrono::Duration;
use serde_json::{Value, json};

pub(crate) const ACTIONS: &[&str] = &["GetSecretValue", "RotateSecret"];

const CURRENT: &str = "ACSCurrent";
const PREVIOUS: &str = "ACSPrevious";

fn not_found() -> ApiError {
    ApiError::not_found("Forbidden.ResourceNotFound", "The resource not exists.")
}

fn new_version_id() -> String {
    format!("v-{}", random_alnum(16).to_ascii_lowercase())
}

impl World {
    /// Creates a `RAMCredentials` secret holding a fresh AccessKey of `user`.
    pub(crate) fn create_secret(
        &mut self,
        account: &str,
        name: &str,
        user: &str,
        rotation_interval: u64,
        automatic_rotation: bool,
        fixed_key_id: Option<&str>,
    ) -> Result<(String, String, String), ApiError> {
        if name.is_empty() || self.secrets.contains_key(name) {
            return Err(ApiError::new(
                409,
                "Rejected.ResourceExist",
                format!("The secret already exists or has no name: {name}."),
            ));
        }
        let (id, secret) =
            self.create_access_key(account, Owner::User(user.to_owned()), fixed_key_id, "admin")?;
        let now = self.now();
        let version_id = new_version_id();
        self.secrets.insert(
            name.to_owned(),
            Secret {
                account: account.to_owned(),
                user: user.to_owned(),
                versions: vec![SecretVersion {
                    version_id: version_id.clone(),
                    access_key_id: id.clone(),
                    access_key_secret: secret.clone(),
                    create_time: now,
                    stages: vec![CURRENT.to_owned()],
                }],
                rotation_interval: rotation_interval.max(1),
                automatic_rotation,
                create_time: now,
                last_rotation: now,
            },
        );
        Ok((version_id, id, secret))
    }

    /// Rotates a secret now: new key = ACSCurrent, old current = ACSPrevious, the key of the
    /// former ACSPrevious version is deleted. Returns the new version id.
    pub(crate) fn rotate_secret(
        &mut self,
        name: &str,
        version_id: Option<&str>,
    ) -> Result<String, ApiError> {
        let secret = self.secrets.get(name).ok_or_else(not_found)?;
        let (account, user) = (secret.account.clone(), secret.user.clone());
        if let Some(v) = version_id
            && secret.versions.iter().any(|x| x.version_id == v)
        {
            return Err(ApiError::bad(
                "Rejected.ResourceExist",
                format!("The version already exists: {v}."),
            ));
        }
        let previous_key = secret
            .versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == PREVIOUS))
            .map(|v| v.access_key_id.clone());
        let owner = Owner::User(user.clone());
        let remaining = self
            .keys_of(&account, &owner)
            .iter()
            .filter(|k| Some(&k.id) != previous_key.as_ref())
            .count();
        if remaining >= 2 {
            return Err(ApiError::new(
                409,
                "LimitExceeded.User.AccessKey",
                "The count of access key exceeds the limit for the user.",
            ));
        }
        if let Some(old) = &previous_key {
            self.keys.remove(old);
        }
        let (id, key_secret) = self.create_access_key(&account, owner, None, "RotateSecret")?;
        let now = self.now();
        let new_version = version_id.map_or_else(new_version_id, str::to_owned);
        if let Some(secret) = self.secrets.get_mut(name) {
            for v in &mut secret.versions {
                if v.stages.iter().any(|s| s == CURRENT) {
                    v.stages = vec![PREVIOUS.to_owned()];
                } else {
                    v.stages.clear();
                }
            }
            secret.versions.push(SecretVersion {
                version_id: new_version.clone(),
                access_key_id: id,
                access_key_secret: key_secret,
                create_time: now,
                stages: vec![CURRENT.to_owned()],
            });
            secret.last_rotation = now;
        }
        Ok(new_version)
    }
}

fn secret_for<'a>(w: &'a World, caller: &Caller, name: &str) -> Result<&'a Secret, ApiError> {
    w.secrets
        .get(name)
        .filter(|s| s.account == caller.account())
        .ok_or_else(not_found)
}

pub(crate) fn handle(
    w: &mut World,
    caller: &Caller,
    action: &str,
    p: &Params,
) -> Result<Value, ApiError> {
    let name = p
        .non_empty("SecretName")
        .ok_or_else(|| ApiError::missing("SecretName"))?;
    match action {
        "GetSecretValue" => get_secret_value(w, caller, name, p),
        "RotateSecret" => {
            secret_for(w, caller, name)?;
            let version = w.rotate_secret(name, p.non_empty("VersionId"))?;
            let account = caller.account().to_owned();
            Ok(json!({
                "Arn": format!("acs:kms:cn-hangzhou:{account}:secret/{name}"),
                "SecretName": name,
                "VersionId": version,
            }))
        }
        _ => Err(ApiError::not_found(
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    }
}

fn get_secret_value(w: &World, caller: &Caller, name: &str, p: &Params) -> Result<Value, ApiError> {
    let secret = secret_for(w, caller, name)?;
    let stage = p.non_empty("VersionStage");
    let version = match p.non_empty("VersionId") {
        Some(id) => secret
            .versions
            .iter()
            .find(|v| v.version_id == id && stage.is_none_or(|s| v.stages.iter().any(|x| x == s))),
        None => {
            let stage = stage.unwrap_or(CURRENT);
            secret
                .versions
                .iter()
                .find(|v| v.stages.iter().any(|x| x == stage))
        }
    }
    .ok_or_else(not_found)?;
    let data = json!({
        "AccessKeyId": version.access_key_id,
        "AccessKeySecret": version.access_key_secret,
        "GenerateTimestamp": iso(version.create_time),
    });
    let interval = i64::try_from(secret.rotation_interval).unwrap_or(i64::MAX / 4);
    let mut body = json!({
        "SecretName": name,
        "SecretType": "RAMCredentials",
        "SecretData": data.to_string(),
        "SecretDataType": "text",
        "VersionId": version.version_id,
        "VersionStages": { "VersionStage": version.stages },
        "CreateTime": iso(secret.create_time),
        "LastRotationDate": iso(secret.last_rotation),
        "RotationInterval": format!("{}s", secret.rotation_interval),
        "AutomaticRotation": if secret.automatic_rotation { "Enabled" } else { "Disabled" },
    });
    if let Value::Object(m) = &mut body {
        if secret.automatic_rotation {
            m.insert(
                "NextRotationDate".into(),
                json!(iso(secret.last_rotation + Duration::seconds(interval))),
            );
        }
        if p.get("FetchExtendedConfig") == Some("true") {
            let ext = json!({
                "SecretSubType": "RamUserAccessKey",
                "UserName": secret.user,
                "CustomData": {},
            });
            m.insert("ExtendedConfig".into(), json!(ext.to_string()));
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_two_keys() {
        let acct = "1234567890123456";
        let mut w = World::new(acct);
        w.create_user(acct, "app").expect("user");
        let (v1, k1, _) = w
            .create_secret(acct, "s", "app", 604800, true, None)
            .expect("secret");
        let v2 = w.rotate_secret("s", None).expect("rotate 1");
        let v3 = w.rotate_secret("s", Some("v3")).expect("rotate 2");
        assert_eq!(v3, "v3");
        assert!(!w.keys.contains_key(&k1), "oldest key deleted");
        assert_eq!(w.keys_of(acct, &Owner::User("app".into())).len(), 2);
        let s = w.secrets.get("s").expect("secret");
        let stages = |id: &str| {
            s.versions
                .iter()
                .find(|v| v.version_id == id)
                .map(|v| v.stages.clone())
                .unwrap_or_default()
        };
        assert!(stages(&v1).is_empty());
        assert_eq!(stages(&v2), vec![PREVIOUS.to_owned()]);
        assert_eq!(stages("v3"), vec![CURRENT.to_owned()]);
        assert!(w.rotate_secret("s", Some("v3")).is_err());
        assert!(w.rotate_secret("nope", None).is_err());
    }
}
