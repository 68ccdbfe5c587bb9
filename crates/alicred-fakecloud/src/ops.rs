//! Typed administration operations, shared by the HTTP admin API and [`crate::FakeCloudHandle`].

use crate::error::ApiError;
use crate::info::{
    AccessKeyInfo, AccessKeyPair, RoleInfo, SecretInfo, SecretVersionInfo, UserInfo,
};
use crate::signature::parse_public_key_pem;
use crate::state::{
    ClientKey, KeyStatus, OidcProvider, Owner, UriTarget, World, is_valid_account_id,
};
use crate::util::iso;

fn owner_of(user: Option<&str>) -> Owner {
    user.map_or(Owner::Root, |u| Owner::User(u.to_owned()))
}

/// Splits `acs:ram::<account>:oidc-provider/<name>`.
fn parse_oidc_arn(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, name) = rest.split_once(":oidc-provider/")?;
    (is_valid_account_id(account) && !name.is_empty()).then(|| account.to_owned())
}

impl World {
    pub(crate) fn op_create_account(
        &mut self,
        account: &str,
        with_root_key: bool,
    ) -> Result<Option<AccessKeyPair>, ApiError> {
        if !is_valid_account_id(account) {
            return Err(ApiError::bad(
                "InvalidParameter.AccountId",
                "An account id is 4-32 digits.",
            ));
        }
        self.ensure_account(account);
        if !with_root_key {
            return Ok(None);
        }
        let (id, secret) = self.create_access_key(account, Owner::Root, None, "admin")?;
        Ok(Some(AccessKeyPair {
            access_key_id: id,
            access_key_secret: secret,
        }))
    }

    pub(crate) fn op_create_user(
        &mut self,
        account: &str,
        name: &str,
        with_key: bool,
    ) -> Result<UserInfo, ApiError> {
        let user_id = self.create_user(account, name)?;
        let access_key = if with_key {
            Some(self.op_create_access_key(account, Some(name))?)
        } else {
            None
        };
        Ok(UserInfo {
            account_id: account.to_owned(),
            user_name: name.to_owned(),
            user_id,
            arn: format!("acs:ram::{account}:user/{name}"),
            access_key,
        })
    }

    pub(crate) fn op_create_access_key(
        &mut self,
        account: &str,
        user: Option<&str>,
    ) -> Result<AccessKeyPair, ApiError> {
        let (id, secret) = self.create_access_key(account, owner_of(user), None, "admin")?;
        Ok(AccessKeyPair {
            access_key_id: id,
            access_key_secret: secret,
        })
    }

    pub(crate) fn op_list_access_keys(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<AccessKeyInfo>, ApiError> {
        self.account(account)?;
        if let Some(u) = user {
            self.user(account, u)?;
        }
        Ok(self
            .keys_of(account, &owner_of(user))
            .into_iter()
            .map(|k| AccessKeyInfo {
                access_key_id: k.id.clone(),
                status: k.status,
                create_date: iso(k.create_date),
                last_used: k.last_used.map(iso),
                user_name: user.map(str::to_owned),
            })
            .collect())
    }

    pub(crate) fn op_set_key_status(
        &mut self,
        id: &str,
        status: KeyStatus,
    ) -> Result<(), ApiError> {
        let key = self.keys.get_mut(id).ok_or_else(|| {
            ApiError::not_found(
                "EntityNotExist.User.AccessKey",
                "The access key does not exist.",
            )
        })?;
        key.status = status;
        Ok(())
    }

    pub(crate) fn op_delete_key(&mut self, id: &str) -> Result<(), ApiError> {
        self.keys.remove(id).map(|_| ()).ok_or_else(|| {
            ApiError::not_found(
                "EntityNotExist.User.AccessKey",
                "The access key does not exist.",
            )
        })
    }

    pub(crate) fn op_create_role(
        &mut self,
        account: &str,
        name: &str,
        max_session_duration: u64,
    ) -> Result<RoleInfo, ApiError> {
        let role = self.create_role(account, name, max_session_duration)?;
        Ok(RoleInfo {
            account_id: account.to_owned(),
            arn: format!("acs:ram::{account}:role/{}", role.name),
            role_name: role.name,
            role_id: role.role_id,
            max_session_duration: role.max_session_duration,
        })
    }

    pub(crate) fn op_register_client_key(
        &mut self,
        account: &str,
        key_id: &str,
        pem: &str,
    ) -> Result<(), ApiError> {
        let public_key = parse_public_key_pem(pem).ok_or_else(|| {
            ApiError::bad(
                "InvalidParameter.PublicKey",
                "public_key_pem is not an RSA public key PEM.",
            )
        })?;
        if key_id.is_empty() {
            return Err(ApiError::missing("KeyId"));
        }
        self.ensure_account(account);
        self.client_keys.insert(
            key_id.to_owned(),
            ClientKey {
                account: account.to_owned(),
                public_key,
            },
        );
        Ok(())
    }

    /// Creates a `RAMCredentials` secret; the RAM user is created when missing.
    pub(crate) fn op_create_secret(
        &mut self,
        account: &str,
        name: &str,
        user: &str,
        rotation_interval: u64,
        automatic_rotation: bool,
        fixed_key_id: Option<&str>,
    ) -> Result<SecretInfo, ApiError> {
        self.create_user(account, user)?;
        let (version_id, id, secret) = self.create_secret(
            account,
            name,
            user,
            rotation_interval,
            automatic_rotation,
            fixed_key_id,
        )?;
        Ok(SecretInfo {
            secret_name: name.to_owned(),
            account_id: account.to_owned(),
            user_name: user.to_owned(),
            version_id,
            access_key: AccessKeyPair {
                access_key_id: id,
                access_key_secret: secret,
            },
        })
    }

    pub(crate) fn op_secret_versions(
        &self,
        name: &str,
    ) -> Result<Vec<SecretVersionInfo>, ApiError> {
        let s = self.secrets.get(name).ok_or_else(|| {
            ApiError::not_found("Forbidden.ResourceNotFound", "The resource not exists.")
        })?;
        Ok(s.versions
            .iter()
            .map(|v| SecretVersionInfo {
                version_id: v.version_id.clone(),
                access_key_id: v.access_key_id.clone(),
                stages: v.stages.clone(),
                create_time: iso(v.create_time),
            })
            .collect())
    }

    pub(crate) fn op_register_oidc(
        &mut self,
        arn: &str,
        tokens: Vec<String>,
        issuer: Option<String>,
        client_ids: Option<Vec<String>>,
        subject: Option<String>,
    ) -> Result<(), ApiError> {
        let account = parse_oidc_arn(arn).ok_or_else(|| {
            ApiError::bad(
                "InvalidParameter.OIDCProviderArn",
                "Expected acs:ram::<account>:oidc-provider/<name>.",
            )
        })?;
        self.ensure_account(&account);
        self.oidc.insert(
            arn.to_owned(),
            OidcProvider {
                account,
                tokens,
                issuer: issuer.unwrap_or_else(|| "https://oidc.fakecloud.invalid".to_owned()),
                client_ids: client_ids.unwrap_or_else(|| vec!["sts.aliyuncs.com".to_owned()]),
                subject: subject.unwrap_or_else(|| "system:serviceaccount:default:demo".to_owned()),
            },
        );
        Ok(())
    }

    /// Sets the instance role (created with MaxSessionDuration 3600 when missing) and/or
    /// hardened mode.
    pub(crate) fn op_set_ecs(
        &mut self,
        account: &str,
        role: Option<&str>,
        hardened: Option<bool>,
    ) -> Result<(), ApiError> {
        if let Some(role) = role {
            if self.role(account, role).is_err() {
                self.create_role(account, role, 3600)?;
            }
            let name = self.role(account, role)?.name.clone();
            self.ecs.role = Some((account.to_owned(), name));
            self.ecs.current = None;
        }
        if let Some(h) = hardened {
            self.ecs.hardened = h;
        }
        Ok(())
    }

    /// Adds a credentials-URI source serving a role's STS credentials (role created with
    /// MaxSessionDuration 3600 when missing) or a user's long-term key.
    pub(crate) fn op_add_uri_source(
        &mut self,
        name: &str,
        account: &str,
        role: Option<&str>,
        user: Option<&str>,
        duration: Option<u64>,
    ) -> Result<(), ApiError> {
        if name.is_empty() || name.contains('/') {
            return Err(ApiError::bad(
                "InvalidParameter.Name",
                "A URI source name is one non-empty path segment.",
            ));
        }
        let target = match (role, user) {
            (Some(role), None) => {
                if self.role(account, role).is_err() {
                    self.create_role(account, role, 3600)?;
                }
                let r = self.role(account, role)?;
                UriTarget::Role {
                    account: account.to_owned(),
                    role: r.name.clone(),
                    duration: duration.unwrap_or(3600).min(r.max_session_duration),
                }
            }
            (None, Some(user)) => {
                self.user(account, user)?;
                UriTarget::User {
                    account: account.to_owned(),
                    user: user.to_owned(),
                }
            }
            _ => {
                return Err(ApiError::bad(
                    "InvalidParameter",
                    "Give exactly one of role_name and user_name.",
                ));
            }
        };
        self.uri_sources.insert(name.to_owned(), target);
        Ok(())
    }
}
