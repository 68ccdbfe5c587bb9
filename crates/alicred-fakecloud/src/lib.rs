//! `alicred-fakecloud`: a local Alibaba Cloud emulator on loopback, for tests and the demo.
//!
//! One HTTP port serves, by path prefix:
//! - `/sts` — STS RPC (`AssumeRole`, `AssumeRoleWithOIDC`, `GetCallerIdentity`), version
//!   `2015-04-01`;
//! - `/ram` — RAM (`2015-05-01`) and IMS (`2019-08-15`) AccessKey actions, two keys per user;
//! - `/kms` — KMS `GetSecretValue` / `RotateSecret` (`2016-01-20`), ClientKey (SHA256withRSA)
//!   or HMAC signed;
//! - `/` — any of the RPC products above, chosen by `Version` (as the real gateway and
//!   `aliyun-python-sdk-core`, which always posts to `/`, do);
//! - `/ecs/latest/...` — ECS instance metadata with IMDSv2 tokens;
//! - `/uri/<name>` — credentials-URI sources;
//! - `/device-authorization`, `/token`, `/access-assignments/...`, `/cloud-credentials` — the
//!   CloudSSO portal API (the sign-in URL's host is the emulator);
//! - `/oauth2/v1/auth`, `/v1/token`, `/v1/exchange` — OAuth sign-in site and token API;
//! - `/federation` — console federation (`GetSigninToken`, `Login`), and `/console/...`, a
//!   console page that says who is signed in;
//! - `/_admin/...` — the JSON admin API (see README.md).
//!
//! Every RPC request is verified exactly like the real gateway does (RPC signature v1,
//! timestamps within 15 minutes, single-use nonces, key status, security tokens). The
//! verifier is written independently of `alicred-core`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), alicred_fakecloud::Error> {
//! use alicred_fakecloud::{FakeCloud, FakeCloudConfig};
//! let cloud = FakeCloud::start(FakeCloudConfig::demo()).await?;
//! let sts = cloud.sts_url(); // http://127.0.0.1:<port>/sts
//! let alice = cloud.create_user("bob")?; // AccessKeyPair (fake secret)
//! cloud.set_lifetime(Some(60)); // issued STS credentials now last 60 s
//! cloud.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod demo;
mod error;
mod faults;
mod federation;
mod gateway;
mod handed_out;
mod handle;
mod info;
mod issue;
mod kms;
mod metadata;
mod oauth;
mod ops;
mod ram;
mod records;
mod rpc;
mod server;
mod signature;
mod signin_admin;
mod sso;
mod sso_portal;
mod sso_world;
mod state;
mod sts;
mod uri;
mod util;

pub use demo::{
    DEMO_ACCOUNT_ID, DEMO_ALICE_KEY_ID, DEMO_CLIENT_KEY_ID, DEMO_CLIENT_KEY_PUBLIC_PEM,
    DEMO_KMS_KEY_ID, DEMO_KMS_USER, DEMO_OIDC_PROVIDER_ARN, DEMO_OIDC_TOKEN,
    DEMO_SANDBOX_ACCOUNT_ID, DemoSeed,
};
pub use error::Error;
pub use faults::{FaultInfo, FaultKind, FaultSpec, Service};
pub use handed_out::HandedOut;
pub use handle::FakeCloudHandle;
pub use info::{AccessKeyInfo, AccessKeyPair, RoleInfo, SecretInfo, SecretVersionInfo, UserInfo};
pub use oauth::{OAUTH_CLIENT_IDS, OAUTH_ROLE, OAuthSettings};
pub use records::{Counters, IssuedCredential, KeyStatus};
pub use sso::{SsoAccessConfig, SsoAssignment, SsoSettings};

use std::net::{Ipv4Addr, SocketAddr};

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct FakeCloudConfig {
    /// Address to bind; must be loopback. Default `127.0.0.1:0` (any free port).
    pub listen: SocketAddr,
    /// Account used when admin calls name none. Default `1234567890123456`.
    pub account_id: String,
    /// Seed the demo world (see [`DemoSeed`]).
    pub demo: bool,
    /// Cap on issued STS credential lifetimes, in seconds (`None` = as requested).
    pub lifetime_seconds: Option<u64>,
    /// Approve every CloudSSO device sign-in by itself (the demo).
    pub auto_approve_sign_in: bool,
}

impl Default for FakeCloudConfig {
    fn default() -> Self {
        FakeCloudConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            account_id: DEMO_ACCOUNT_ID.to_owned(),
            demo: false,
            lifetime_seconds: None,
            auto_approve_sign_in: false,
        }
    }
}

impl FakeCloudConfig {
    /// An empty world (one account, `1234567890123456`) on `127.0.0.1:0`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The demo world: account `1234567890123456`, user `alice` with one key, roles `admin`,
    /// `readonly` (MaxSessionDuration 3600), `dev` (43200), ECS role `EcsDemoRole`, OIDC
    /// provider `…:oidc-provider/demo` accepting `demo-oidc-token`, URI source `demo`, KMS
    /// secret `demo-ram-secret` (user `kms-app`) and ClientKey `KAAP.demo-client-key`.
    pub fn demo() -> Self {
        FakeCloudConfig {
            demo: true,
            auto_approve_sign_in: true,
            ..Self::default()
        }
    }

    /// Sets the listen address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Caps issued STS credential lifetimes at `seconds`.
    pub fn lifetime_seconds(mut self, seconds: u64) -> Self {
        self.lifetime_seconds = Some(seconds);
        self
    }
}

/// Entry point: starts emulators.
pub struct FakeCloud;

impl FakeCloud {
    /// Starts the emulator on the current Tokio runtime.
    pub async fn start(config: FakeCloudConfig) -> Result<FakeCloudHandle, Error> {
        handle::start_on_runtime(config)
    }

    /// Starts the emulator on its own thread and runtime; for synchronous tests and for
    /// callers whose runtime may block. Stop it with [`FakeCloudHandle::shutdown_blocking`].
    pub fn start_background(config: FakeCloudConfig) -> Result<FakeCloudHandle, Error> {
        handle::start_background(config)
    }
}
