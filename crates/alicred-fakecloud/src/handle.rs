//! [`FakeCloudHandle`]: URLs, typed admin operations and shutdown of a running emulator.

use crate::admin::DemoState;
use crate::faults::{FaultInfo, FaultSpec};
use crate::gateway::Gateway;
use crate::info::{
    AccessKeyInfo, AccessKeyPair, RoleInfo, SecretInfo, SecretVersionInfo, UserInfo,
};
use crate::state::{Counters, IssuedCredential, KeyStatus, Shared, World};
use crate::{DemoSeed, Error, FakeCloudConfig, OAuthSettings, SsoAssignment, SsoSettings, server};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

enum Task {
    Tokio(tokio::task::JoinHandle<()>),
    Thread(std::thread::JoinHandle<()>),
}

/// A running emulator. Dropping it stops the server (without waiting).
pub struct FakeCloudHandle {
    addr: SocketAddr,
    shared: Shared,
    stop: watch::Sender<bool>,
    task: Option<Task>,
    demo: Option<Arc<DemoSeed>>,
}

struct Prepared {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    shared: Shared,
    gateway: Arc<Gateway>,
    demo: Option<Arc<DemoSeed>>,
}

fn prepare(config: FakeCloudConfig) -> Result<Prepared, Error> {
    if !config.listen.ip().is_loopback() {
        return Err(Error::NonLoopback(config.listen));
    }
    let mut world = World::new(&config.account_id);
    world.lifetime_override = config.lifetime_seconds.map(|s| s.max(1));
    world.sso.auto_approve = config.auto_approve_sign_in;
    let demo = if config.demo {
        Some(Arc::new(crate::demo::seed(&mut world)?))
    } else {
        None
    };
    let listener = std::net::TcpListener::bind(config.listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let shared = Shared::new(world);
    let router = server::router(shared.clone(), DemoState(demo.clone()));
    let gateway = Arc::new(Gateway {
        shared: shared.clone(),
        router,
    });
    Ok(Prepared {
        listener,
        addr,
        shared,
        gateway,
        demo,
    })
}

pub(crate) fn start_on_runtime(config: FakeCloudConfig) -> Result<FakeCloudHandle, Error> {
    let p = prepare(config)?;
    let listener = tokio::net::TcpListener::from_std(p.listener)?;
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(server::run(listener, p.gateway, rx));
    tracing::info!("fakecloud listening on http://{}", p.addr);
    Ok(FakeCloudHandle {
        addr: p.addr,
        shared: p.shared,
        stop,
        task: Some(Task::Tokio(task)),
        demo: p.demo,
    })
}

pub(crate) fn start_background(config: FakeCloudConfig) -> Result<FakeCloudHandle, Error> {
    let p = prepare(config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fakecloud-worker")
        .enable_all()
        .build()?;
    let (stop, rx) = watch::channel(false);
    let std_listener = p.listener;
    let gateway = p.gateway;
    let thread = std::thread::Builder::new()
        .name("fakecloud".into())
        .spawn(move || {
            rt.block_on(async move {
                match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(listener) => server::run(listener, gateway, rx).await,
                    Err(e) => tracing::error!("fakecloud could not start: {e}"),
                }
            });
        })?;
    Ok(FakeCloudHandle {
        addr: p.addr,
        shared: p.shared,
        stop,
        task: Some(Task::Thread(thread)),
        demo: p.demo,
    })
}

impl std::fmt::Debug for FakeCloudHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCloudHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeCloudHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (also the RPC endpoint dispatching by `Version`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// STS endpoint: `{base}/sts`.
    pub fn sts_url(&self) -> String {
        format!("{}/sts", self.base_url())
    }

    /// RAM/IMS endpoint: `{base}/ram`.
    pub fn ram_url(&self) -> String {
        format!("{}/ram", self.base_url())
    }

    /// KMS endpoint: `{base}/kms`.
    pub fn kms_url(&self) -> String {
        format!("{}/kms", self.base_url())
    }

    /// ECS metadata base: `{base}/ecs` (the SDKs' `http://100.100.100.200`).
    pub fn ecs_url(&self) -> String {
        format!("{}/ecs", self.base_url())
    }

    /// Credentials-URI source `name`: `{base}/uri/<name>`.
    pub fn uri_url(&self, name: &str) -> String {
        format!("{}/uri/{name}", self.base_url())
    }

    /// A CloudSSO sign-in URL whose host is this emulator (the path is ignored, as by the
    /// real portal clients).
    pub fn sso_sign_in_url(&self) -> String {
        format!("{}/d-fakecloud/login", self.base_url())
    }

    /// Admin API base: `{base}/_admin`.
    pub fn admin_url(&self) -> String {
        format!("{}/_admin", self.base_url())
    }

    /// The demo seed, when started with [`FakeCloudConfig::demo`].
    pub fn demo(&self) -> Option<&DemoSeed> {
        self.demo.as_deref()
    }

    /// The default account id.
    pub fn account_id(&self) -> String {
        self.shared.lock().default_account.clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// Creates an account; with `with_root_key`, also a root AccessKey.
    pub fn create_account(
        &self,
        account_id: &str,
        with_root_key: bool,
    ) -> Result<Option<AccessKeyPair>, Error> {
        Ok(self.with(|w| w.op_create_account(account_id, with_root_key))?)
    }

    /// Creates RAM user `name` in the default account with one AccessKey.
    pub fn create_user(&self, name: &str) -> Result<AccessKeyPair, Error> {
        let info = self.create_user_in(&self.account_id(), name, true)?;
        info.access_key.ok_or_else(|| Error::Admin {
            code: "InternalError".into(),
            message: "no key created".into(),
        })
    }

    /// Creates RAM user `name` in `account_id`, optionally with one AccessKey.
    pub fn create_user_in(
        &self,
        account_id: &str,
        name: &str,
        with_key: bool,
    ) -> Result<UserInfo, Error> {
        Ok(self.with(|w| w.op_create_user(account_id, name, with_key))?)
    }

    /// Creates an AccessKey for `user` (`None` = the account root) in the default account;
    /// fails with `LimitExceeded.User.AccessKey` past two keys.
    pub fn create_access_key(&self, user: Option<&str>) -> Result<AccessKeyPair, Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_create_access_key(&account, user)
        })?)
    }

    /// Keys of `user` (`None` = root) in the default account, with status and last use.
    pub fn list_access_keys(&self, user: Option<&str>) -> Result<Vec<AccessKeyInfo>, Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_list_access_keys(&account, user)
        })?)
    }

    /// Activates or deactivates a long-term key.
    pub fn set_access_key_status(&self, key_id: &str, status: KeyStatus) -> Result<(), Error> {
        Ok(self.with(|w| w.op_set_key_status(key_id, status))?)
    }

    /// Deletes a long-term key.
    pub fn delete_access_key(&self, key_id: &str) -> Result<(), Error> {
        Ok(self.with(|w| w.op_delete_key(key_id))?)
    }

    /// Creates (or updates) role `name` in the default account.
    pub fn create_role(&self, name: &str, max_session_duration: u64) -> Result<RoleInfo, Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_create_role(&account, name, max_session_duration)
        })?)
    }

    /// Registers a KMS ClientKey public key (SPKI or PKCS#1 PEM) for the default account.
    pub fn register_client_key(&self, key_id: &str, public_key_pem: &str) -> Result<(), Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_register_client_key(&account, key_id, public_key_pem)
        })?)
    }

    /// Creates a `RAMCredentials` secret holding a new key of `user` (created if missing).
    pub fn create_ram_secret(
        &self,
        secret_name: &str,
        user: &str,
        rotation_interval_seconds: u64,
    ) -> Result<SecretInfo, Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_create_secret(
                &account,
                secret_name,
                user,
                rotation_interval_seconds,
                true,
                None,
            )
        })?)
    }

    /// Versions of a secret with their stages.
    pub fn secret_versions(&self, secret_name: &str) -> Result<Vec<SecretVersionInfo>, Error> {
        Ok(self.with(|w| w.op_secret_versions(secret_name))?)
    }

    /// Registers an OIDC provider (`acs:ram::<acct>:oidc-provider/<name>`) accepting `tokens`.
    pub fn register_oidc_provider(&self, arn: &str, tokens: &[&str]) -> Result<(), Error> {
        let tokens = tokens.iter().map(|t| (*t).to_owned()).collect();
        Ok(self.with(|w| w.op_register_oidc(arn, tokens, None, None, None))?)
    }

    /// Caps issued STS lifetimes at `seconds` (`None` = as requested).
    pub fn set_lifetime(&self, seconds: Option<u64>) {
        self.with(|w| w.lifetime_override = seconds.map(|s| s.max(1)));
    }

    /// Sets the ECS instance role (created if missing) in the default account.
    pub fn set_ecs_role(&self, role: &str) -> Result<(), Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_set_ecs(&account, Some(role), None)
        })?)
    }

    /// Turns ECS hardened mode (IMDSv2 token required) on or off.
    pub fn set_ecs_hardened(&self, hardened: bool) {
        self.with(|w| w.ecs.hardened = hardened);
    }

    /// Adds URI source `name` serving fresh STS credentials of `role` (created if missing).
    pub fn add_uri_source(&self, name: &str, role: &str) -> Result<(), Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_add_uri_source(name, &account, Some(role), None, None)
        })?)
    }

    /// Adds URI source `name` serving `user`'s long-term key (`SecurityToken: ""`).
    pub fn add_uri_source_for_user(&self, name: &str, user: &str) -> Result<(), Error> {
        Ok(self.with(|w| {
            let account = w.default_account.clone();
            w.op_add_uri_source(name, &account, None, Some(user), None)
        })?)
    }

    /// Injects a fault; returns its id.
    pub fn set_fault(&self, spec: FaultSpec) -> u64 {
        self.with(|w| w.faults.add(spec))
    }

    /// Removes one fault.
    pub fn clear_fault(&self, id: u64) -> bool {
        self.with(|w| w.faults.remove(id))
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.with(|w| w.faults.clear());
    }

    /// Active faults.
    pub fn faults(&self) -> Vec<FaultInfo> {
        self.with(|w| w.faults.list())
    }

    /// Request, error, fault and issue counters.
    pub fn counters(&self) -> Counters {
        self.with(|w| w.counters.clone())
    }

    /// Resets the counters.
    pub fn reset_counters(&self) {
        self.with(|w| w.counters = Counters::default());
    }

    /// Every credential handed out so far (STS, keys), oldest first.
    pub fn issued(&self) -> Vec<IssuedCredential> {
        self.with(|w| w.issued.clone())
    }

    /// Shifts the emulator's clock by `seconds` (affects expiry and timestamp checks).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.with(|w| w.clock_offset = seconds);
    }

    /// Adds (or replaces) the CloudSSO assignment of one account; creates account and roles.
    pub fn sso_assign(&self, assignment: SsoAssignment) -> Result<(), Error> {
        Ok(self.with(|w| w.sso_assign(assignment))?)
    }

    /// Changes the CloudSSO portal's settings (auto-approve, lifetimes, interval, page size).
    pub fn sso_settings(&self, settings: &SsoSettings) {
        self.with(|w| w.sso.apply(settings));
    }

    /// User codes of the pending device sign-ins.
    pub fn sso_pending(&self) -> Vec<String> {
        self.with(|w| w.sso_pending())
    }

    /// Approves (or denies) pending device sign-ins (`None` = all); returns how many.
    pub fn sso_decide(&self, user_code: Option<&str>, approve: bool) -> usize {
        self.with(|w| w.sso_decide(user_code, approve))
    }

    /// Makes every pending device code expire.
    pub fn sso_expire_device_codes(&self) {
        self.with(World::sso_expire_devices);
    }

    /// Expires (or, with `revoke`, revokes) every CloudSSO access token.
    pub fn sso_end_tokens(&self, revoke: bool) -> usize {
        self.with(|w| w.sso_end_tokens(revoke))
    }

    /// Changes the OAuth settings (decision, access-token lifetime).
    pub fn oauth_settings(&self, settings: &OAuthSettings) -> Result<(), Error> {
        Ok(self.with(|w| w.oauth.apply(settings))?)
    }

    /// Expires OAuth access tokens (and refresh tokens with `refresh`); `revoke` ends both.
    pub fn oauth_end_tokens(&self, revoke: bool, refresh: bool) {
        self.with(|w| {
            let now = w.now();
            w.oauth.end_tokens(now, revoke, refresh);
        });
    }

    /// Refresh tokens that are still usable (rotation leaves one per sign-in).
    pub fn oauth_live_refresh_tokens(&self) -> usize {
        self.with(|w| w.oauth.live_refresh_tokens())
    }

    /// A CloudSSO access token as an approved sign-in gets (for import tests).
    pub fn sso_issue_token(&self) -> String {
        self.with(|w| {
            let now = w.now();
            w.sso.issue(now)
        })
    }

    /// An OAuth (access, refresh) token pair as a sign-in gets (for import tests).
    pub fn oauth_issue_tokens(&self) -> (String, String) {
        self.with(|w| {
            let now = w.now();
            w.oauth.issue(now)
        })
    }

    /// Every secret value handed out so far, of every kind (see
    /// [`crate::HandedOut`]): what a secret scan looks for.
    pub fn handed_out_secrets(&self) -> Vec<crate::HandedOut> {
        self.with(|w| w.handed_out_secrets())
    }

    /// Every sign-in token handed out so far (CloudSSO access tokens, OAuth access and
    /// refresh tokens), for secret scans.
    pub fn sign_in_tokens(&self) -> Vec<String> {
        self.with(|w| {
            let mut v = w.sso.issued_tokens.clone();
            v.extend(w.oauth.issued_tokens.iter().cloned());
            v
        })
    }

    /// Console sign-in tokens handed out by `GetSigninToken`, for secret scans.
    pub fn federation_tokens(&self) -> Vec<String> {
        self.with(|w| w.federation.issued_tokens.clone())
    }

    /// Successful console `Login`s so far.
    pub fn federation_logins(&self) -> u64 {
        self.with(|w| w.federation.logins)
    }

    /// `http://127.0.0.1:<port>/federation`.
    pub fn federation_url(&self) -> String {
        format!("{}/federation", self.base_url())
    }

    /// Stops the server and waits for it (bounded: hung requests are dropped).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(Task::Tokio(h)) => {
                let _ = h.await;
            }
            Some(Task::Thread(h)) => {
                let _ = tokio::task::spawn_blocking(move || h.join()).await;
            }
            None => {}
        }
    }

    /// Stops the server; waits for a background-thread server, only signals a runtime one.
    pub fn shutdown_blocking(mut self) {
        let _ = self.stop.send(true);
        if let Some(Task::Thread(h)) = self.task.take() {
            let _ = h.join();
        }
    }
}

impl Drop for FakeCloudHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
