//! The emulated world: accounts, users, roles, keys, issued credentials, KMS secrets, OIDC
//! providers, ECS and URI settings, faults and counters. One value behind one mutex; never
//! held across an `.await`.

use crate::error::ApiError;
use crate::faults::FaultTable;
pub(crate) use crate::records::{CounterKind, Counters, IssuedCredential, KeyStatus};
use crate::util::{iso, random_alnum, random_digits};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// The shared world handle.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<World>>);

impl Shared {
    pub(crate) fn new(world: World) -> Self {
        Shared(Arc::new(Mutex::new(world)))
    }

    /// Locks the world; a panic elsewhere never wedges the emulator.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Who owns a long-term key: the account root or a RAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    Root,
    User(String),
}

pub(crate) struct Account {
    pub users: BTreeMap<String, User>,
    /// Keyed by lower-case role name (RAM role names are case-insensitive).
    pub roles: BTreeMap<String, Role>,
}

pub(crate) struct User {
    pub user_id: String,
}

#[derive(Clone)]
pub(crate) struct Role {
    pub name: String,
    pub role_id: String,
    pub max_session_duration: u64,
}

pub(crate) struct AccessKey {
    pub id: String,
    pub secret: String,
    pub account: String,
    pub owner: Owner,
    pub status: KeyStatus,
    pub create_date: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
}

/// A temporary credential handed out by STS (AssumeRole, OIDC, ECS, URI).
#[derive(Clone)]
pub(crate) struct StsCredential {
    pub id: String,
    pub secret: String,
    pub token: String,
    pub account: String,
    pub role_name: String,
    pub role_id: String,
    pub session_name: String,
    pub issued_at: DateTime<Utc>,
    pub expiration: DateTime<Utc>,
}

impl std::fmt::Debug for StsCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsCredential")
            .field("id", &self.id)
            .field("arn", &self.arn())
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl StsCredential {
    /// As `AssumeRole` answers it (`AssumedRoleUser.Arn`).
    pub(crate) fn arn(&self) -> String {
        format!(
            "acs:ram::{}:role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }

    /// As `GetCallerIdentity` answers it for a role session (the real STS says
    /// `assumed-role` here, unlike in `AssumeRole`'s `AssumedRoleUser`).
    pub(crate) fn caller_arn(&self) -> String {
        format!(
            "acs:ram::{}:assumed-role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }
}

pub(crate) struct ClientKey {
    pub account: String,
    pub public_key: rsa::PublicKey,
}

pub(crate) struct OidcProvider {
    pub account: String,
    pub tokens: Vec<String>,
    pub issuer: String,
    pub client_ids: Vec<String>,
    pub subject: String,
}

pub(crate) struct SecretVersion {
    pub version_id: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub create_time: DateTime<Utc>,
    pub stages: Vec<String>,
}

pub(crate) struct Secret {
    pub account: String,
    pub user: String,
    pub versions: Vec<SecretVersion>,
    pub rotation_interval: u64,
    pub automatic_rotation: bool,
    pub create_time: DateTime<Utc>,
    pub last_rotation: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct EcsState {
    /// (account, role name) of the instance's RAM role.
    pub role: Option<(String, String)>,
    pub hardened: bool,
    pub tokens: HashMap<String, DateTime<Utc>>,
    /// Credentials currently served for the instance role.
    pub current: Option<String>,
}

#[derive(Clone)]
pub(crate) enum UriTarget {
    Role {
        account: String,
        role: String,
        duration: u64,
    },
    User {
        account: String,
        user: String,
    },
}

pub(crate) struct World {
    pub default_account: String,
    pub accounts: BTreeMap<String, Account>,
    pub keys: HashMap<String, AccessKey>,
    pub sts: HashMap<String, StsCredential>,
    pub client_keys: HashMap<String, ClientKey>,
    pub secrets: BTreeMap<String, Secret>,
    pub oidc: HashMap<String, OidcProvider>,
    pub ecs: EcsState,
    pub uri_sources: BTreeMap<String, UriTarget>,
    pub lifetime_override: Option<u64>,
    pub clock_offset: i64,
    pub nonces: HashMap<(String, String), DateTime<Utc>>,
    pub faults: FaultTable,
    pub counters: Counters,
    pub issued: Vec<IssuedCredential>,
    pub sso: crate::sso::SsoState,
    pub oauth: crate::oauth::OAuthState,
    pub federation: crate::federation::FederationState,
}

pub(crate) fn is_valid_account_id(id: &str) -> bool {
    (4..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit())
}

impl World {
    pub(crate) fn new(default_account: &str) -> Self {
        let mut w = World {
            default_account: default_account.to_owned(),
            accounts: BTreeMap::new(),
            keys: HashMap::new(),
            sts: HashMap::new(),
            client_keys: HashMap::new(),
            secrets: BTreeMap::new(),
            oidc: HashMap::new(),
            ecs: EcsState::default(),
            uri_sources: BTreeMap::new(),
            lifetime_override: None,
            clock_offset: 0,
            nonces: HashMap::new(),
            faults: FaultTable::default(),
            counters: Counters::default(),
            issued: Vec::new(),
            sso: crate::sso::SsoState::default(),
            oauth: crate::oauth::OAuthState::default(),
            federation: crate::federation::FederationState::default(),
        };
        w.ensure_account(default_account);
        w
    }

    /// The emulator's clock (real time plus the admin-set offset).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.clock_offset)
    }

    /// `None` → the default account.
    pub(crate) fn account_or_default(&self, account: Option<&str>) -> String {
        account
            .filter(|a| !a.is_empty())
            .map_or_else(|| self.default_account.clone(), str::to_owned)
    }

    pub(crate) fn ensure_account(&mut self, id: &str) -> &mut Account {
        self.accounts
            .entry(id.to_owned())
            .or_insert_with(|| Account {
                users: BTreeMap::new(),
                roles: BTreeMap::new(),
            })
    }

    pub(crate) fn account(&self, id: &str) -> Result<&Account, ApiError> {
        self.accounts.get(id).ok_or_else(|| {
            ApiError::not_found("EntityNotExist.Account", format!("Account {id} not found."))
        })
    }

    pub(crate) fn user(&self, account: &str, name: &str) -> Result<&User, ApiError> {
        self.account(account)?.users.get(name).ok_or_else(|| {
            ApiError::not_found(
                "EntityNotExist.User",
                format!("The user does not exist: {name}."),
            )
        })
    }

    pub(crate) fn role(&self, account: &str, name: &str) -> Result<&Role, ApiError> {
        self.accounts
            .get(account)
            .and_then(|a| a.roles.get(&name.to_ascii_lowercase()))
            .ok_or_else(|| {
                ApiError::not_found(
                    "EntityNotExist.Role",
                    format!("The role not exists: acs:ram::{account}:role/{name}."),
                )
            })
    }

    pub(crate) fn create_user(&mut self, account: &str, name: &str) -> Result<String, ApiError> {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c))
        {
            return Err(ApiError::bad(
                "InvalidParameter.UserName",
                "The parameter UserName is invalid.",
            ));
        }
        let acct = self.ensure_account(account);
        let user = acct.users.entry(name.to_owned()).or_insert_with(|| User {
            user_id: random_digits(16),
        });
        Ok(user.user_id.clone())
    }

    pub(crate) fn create_role(
        &mut self,
        account: &str,
        name: &str,
        max_session_duration: u64,
    ) -> Result<Role, ApiError> {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        {
            return Err(ApiError::bad(
                "InvalidParameter.RoleName",
                "The parameter RoleName is invalid.",
            ));
        }
        if !(3600..=43200).contains(&max_session_duration) {
            return Err(ApiError::bad(
                "InvalidParameter.MaxSessionDuration",
                "MaxSessionDuration must be between 3600 and 43200 seconds.",
            ));
        }
        let acct = self.ensure_account(account);
        let role = acct
            .roles
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Role {
                name: name.to_owned(),
                role_id: random_digits(19),
                max_session_duration,
            });
        role.max_session_duration = max_session_duration;
        Ok(role.clone())
    }

    /// Creates a long-term AccessKey, enforcing the two-key limit.
    pub(crate) fn create_access_key(
        &mut self,
        account: &str,
        owner: Owner,
        fixed_id: Option<&str>,
        kind: &str,
    ) -> Result<(String, String), ApiError> {
        self.account(account)?;
        if let Owner::User(name) = &owner {
            self.user(account, name)?;
        }
        let count = self
            .keys
            .values()
            .filter(|k| k.account == account && k.owner == owner)
            .count();
        if count >= 2 {
            return Err(ApiError::new(
                409,
                "LimitExceeded.User.AccessKey",
                "The count of access key exceeds the limit for the user.",
            ));
        }
        let id = match fixed_id {
            Some(id) if !self.keys.contains_key(id) => id.to_owned(),
            _ => format!("LTAI5t{}", random_alnum(18)),
        };
        let secret = random_alnum(30);
        let now = self.now();
        self.keys.insert(
            id.clone(),
            AccessKey {
                id: id.clone(),
                secret: secret.clone(),
                account: account.to_owned(),
                owner: owner.clone(),
                status: KeyStatus::Active,
                create_date: now,
                last_used: None,
            },
        );
        let arn = match &owner {
            Owner::Root => format!("acs:ram::{account}:root"),
            Owner::User(u) => format!("acs:ram::{account}:user/{u}"),
        };
        self.record_issued(IssuedCredential {
            kind: kind.to_owned(),
            access_key_id: id.clone(),
            access_key_secret: secret.clone(),
            security_token: None,
            expiration: None,
            issued_at: iso(now),
            account_id: account.to_owned(),
            arn,
        });
        Ok((id, secret))
    }

    /// Long-term keys of one owner, oldest first.
    pub(crate) fn keys_of(&self, account: &str, owner: &Owner) -> Vec<&AccessKey> {
        let mut v: Vec<&AccessKey> = self
            .keys
            .values()
            .filter(|k| k.account == account && &k.owner == owner)
            .collect();
        v.sort_by(|a, b| a.create_date.cmp(&b.create_date).then(a.id.cmp(&b.id)));
        v
    }

    pub(crate) fn record_issued(&mut self, rec: IssuedCredential) {
        *self.counters.issued.entry(rec.kind.clone()).or_insert(0) += 1;
        self.issued.push(rec);
    }

    /// Remembers a nonce; false when it was already used within the replay window.
    pub(crate) fn use_nonce(&mut self, key_id: &str, nonce: &str) -> bool {
        let now = self.now();
        if self.nonces.len() > 10_000 {
            self.nonces
                .retain(|_, t| now.signed_duration_since(*t) < Duration::minutes(30));
        }
        let k = (key_id.to_owned(), nonce.to_owned());
        if self.nonces.contains_key(&k) {
            return false;
        }
        self.nonces.insert(k, now);
        true
    }

    pub(crate) fn count(&mut self, map: CounterKind, key: &str) {
        let m = match map {
            CounterKind::Requests => &mut self.counters.requests,
            CounterKind::Errors => &mut self.counters.errors,
            CounterKind::Faults => &mut self.counters.faults,
        };
        *m.entry(key.to_owned()).or_insert(0) += 1;
    }
}
