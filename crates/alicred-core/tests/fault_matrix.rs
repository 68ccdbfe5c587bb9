//! The fault matrix: every emulator fault × every refreshing provider
//! (CloudSSO and OAuth sign-ins included), each
//! through the real engine and the real endpoint over real HTTP, with
//! 60-second sessions. For each scenario the fault stays on past the
//! session's expiry:
//! - while the cached session has more than the engine's serve margin left
//!   (`SERVE_MARGIN`, 5 s), it is what the engine and the endpoint hand out,
//!   and nothing with less left is ever handed out;
//! - once it is within the margin, both refuse (the endpoint with 503,
//!   `CredentialsExpired` or `NeedsUser`, one line naming the fault) and
//!   never serve the old credentials, and the state says what happened; a
//!   refusal while more than the margin was left is a failure;
//! - then the fault clears and nobody asks for a refresh: the engine's own
//!   retries make the profile fresh again within the back-off cap.
//!
//! All scenarios run at once on one runtime, so the file takes about two
//! session lifetimes, not fifty.

use alicred_core::clock::SystemClock;
use alicred_core::credentials::Credentials;
use alicred_core::engine::{EngineOptions, ProfileState, StandardFactory};
use alicred_core::paths::Paths;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::server::{Agent, AgentConfig, AgentHandle};
use alicred_core::store::config::{ConfigError, ConfigStore};
use alicred_core::store::secrets::{MemoryStore, SecretStore};
use alicred_fakecloud::{
    FakeCloud, FakeCloudConfig, FakeCloudHandle, FaultKind, FaultSpec, Service,
};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Session lifetime the emulator hands out.
const LIFETIME_S: u64 = 60;
/// The engine's back-off cap in this test (production: 5 min), so a
/// non-transient failure is retried within seconds, not minutes.
const BACKOFF_CAP_S: i64 = 12;
/// Upstream request timeout: a hung upstream costs this much per attempt.
const HTTP_TIMEOUT: Duration = Duration::from_secs(8);
/// Scheduling slack on a busy 2-core machine.
const SLACK: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
enum Prov {
    RamRoleArn,
    OidcRoleArn,
    EcsRamRole,
    CredentialsUri,
    KmsSecret,
    CloudSso,
    Oauth,
}

const PROVS: [Prov; 7] = [
    Prov::RamRoleArn,
    Prov::OidcRoleArn,
    Prov::EcsRamRole,
    Prov::CredentialsUri,
    Prov::KmsSecret,
    Prov::CloudSso,
    Prov::Oauth,
];

const FAULTS: [FaultKind; 11] = [
    FaultKind::InternalError,
    FaultKind::ServiceUnavailable,
    FaultKind::Throttling,
    FaultKind::Hang,
    FaultKind::ConnectionReset,
    FaultKind::MalformedJson,
    FaultKind::TruncatedBody,
    FaultKind::CodeNotSuccess,
    FaultKind::ExpiredCredentials,
    FaultKind::BadExpirationFormat,
    FaultKind::Latency,
];

#[path = "fault_matrix/fixtures.rs"]
mod fixtures;
use fixtures::setup;

/// What the error should mention for each fault (any of these words).
fn says(prov: Prov, kind: FaultKind) -> &'static [&'static str] {
    match kind {
        // The CloudSSO and OAuth APIs have no `Code` field: a 200 reply with
        // `"Code": "Failed"` and nothing else is a malformed reply to them.
        FaultKind::CodeNotSuccess if matches!(prov, Prov::CloudSso | Prov::Oauth) => &["malformed"],
        FaultKind::InternalError => &["InternalError", "500"],
        FaultKind::ServiceUnavailable => &["ServiceUnavailable", "503"],
        FaultKind::Throttling => &["throttl"],
        FaultKind::Hang => &["timed out", "timeout", "did not answer"],
        FaultKind::ConnectionReset => &["cannot reach", "reset", "closed"],
        FaultKind::MalformedJson => &["malformed"],
        FaultKind::TruncatedBody => &["cannot reach", "malformed", "truncated", "body", "closed"],
        FaultKind::CodeNotSuccess => &["Failed"],
        FaultKind::ExpiredCredentials => &["expired"],
        FaultKind::BadExpirationFormat => &["Expiration"],
        FaultKind::Latency => &[],
    }
}

struct Run {
    prov: Prov,
    cloud: FakeCloudHandle,
    agent: AgentHandle,
    target: ProfileName,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// What the endpoint answered.
enum Served {
    Ok {
        akid: String,
        expiration: DateTime<Utc>,
    },
    Refused {
        status: u16,
        body: String,
    },
}

impl Run {
    async fn start(prov: Prov) -> Result<(Run, Service, String), String> {
        let cloud = FakeCloud::start(FakeCloudConfig::demo().lifetime_seconds(LIFETIME_S))
            .await
            .map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let (file, service, action) = setup(prov, &cloud, dir.path(), &secrets);
        let paths = Paths::new(dir.path().join("home"));
        ConfigStore::new(paths.clone())
            .update(|f| {
                *f = file;
                Ok::<_, ConfigError>(())
            })
            .map_err(|e| e.to_string())?;
        let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
        ctx.env = Arc::new(|_| None);
        // A hung upstream must cost seconds here, not the default 15 s. No
        // pooled connections: reusing one the emulator just closed is a
        // client race this test is not about.
        ctx.http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let mut cfg = AgentConfig::new(paths, secrets, ctx, Arc::new(StandardFactory));
        cfg.listen = Some("127.0.0.1:0".parse().map_err(|_| "addr")?);
        cfg.watch_profiles = false;
        // Fifty agents share two cores here: give a request longer than the
        // production 1 s to arrive (slow clients are server_idle_sockets' job).
        cfg.limits.header_read_timeout = Duration::from_secs(10);
        cfg.rotation = false;
        cfg.engine = EngineOptions {
            // Fixed jitter: the schedule below is the same on every run.
            rng: Arc::new(|| 0.5),
            persist_sessions: false,
            backoff_cap: chrono::Duration::seconds(BACKOFF_CAP_S),
            ..EngineOptions::default()
        };
        let agent = Agent::start(cfg).await.map_err(|e| e.to_string())?;
        let target: ProfileName = "target".parse().map_err(|e: String| e)?;
        let url = agent.url_for(Some(&target)).expose().to_string();
        // A new connection per request: the endpoint closes idle keep-alive
        // connections after about a second, and reusing one it just closed
        // fails in the client (a race this test is not about).
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        Ok((
            Run {
                prov,
                cloud,
                agent,
                target,
                url,
                http,
                _dir: dir,
            },
            service,
            action,
        ))
    }

    async fn get(&self) -> Result<Served, String> {
        let r = self.http.get(&self.url).send().await.map_err(|e| {
            let mut msg = format!("endpoint did not answer: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            msg
        })?;
        let status = r.status().as_u16();
        let body = r.text().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Ok(Served::Refused { status, body });
        }
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let akid = v["AccessKeyId"].as_str().unwrap_or_default().to_string();
        let expiration = v["Expiration"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| format!("no Expiration in {}", v["Expiration"]))?;
        Ok(Served::Ok { akid, expiration })
    }

    fn state(&self) -> (ProfileState, Option<String>) {
        self.agent
            .engine()
            .snapshot()
            .into_iter()
            .find(|s| s.name == self.target.as_str())
            .map(|s| (s.state, s.last_error))
            .unwrap_or((ProfileState::Idle, None))
    }

    /// The next retry the engine planned (its own schedule, not ours).
    fn retry_at(&self) -> Option<DateTime<Utc>> {
        self.agent
            .engine()
            .cached(&self.target)
            .and_then(|c| c.meta().retry_at)
    }

    async fn stop(self) {
        self.agent.shutdown().await;
        self.cloud.shutdown().await;
    }
}

/// The engine's promise (engine/policy.rs): a credential is handed out only
/// with more than this left.
const MARGIN: chrono::Duration = alicred_core::engine::policy::SERVE_MARGIN;

/// A hand-out asked for at `asked`: the engine decided at or after that
/// moment, so the credential must have had more than the serve margin left
/// then.
fn margin_ok(expiration: DateTime<Utc>, asked: DateTime<Utc>, who: &str) -> Result<(), String> {
    let left = expiration - asked;
    if left <= MARGIN {
        return Err(format!(
            "{who} handed out a credential with {} ms left, not more than the serve margin ({} s)",
            left.num_milliseconds(),
            MARGIN.num_seconds()
        ));
    }
    Ok(())
}

/// A refusal answered at `answered` is right only once the cache is within
/// the serve margin (the engine decided at or before that moment); then it
/// is a 503 saying in one line that the credentials expired and why (the
/// fault), and it does not carry the old credentials.
fn refusal_ok(
    prov: Prov,
    kind: FaultKind,
    status: u16,
    body: &str,
    old: &Credentials,
    expires: DateTime<Utc>,
    answered: DateTime<Utc>,
) -> Result<(), String> {
    if expires - answered > MARGIN {
        return Err(format!(
            "the endpoint refused with {} ms left on the cache: {status} {body}",
            (expires - answered).num_milliseconds()
        ));
    }
    if status != 503 {
        return Err(format!("refused with {status}, not 503: {body}"));
    }
    if body.contains(&old.access_key_id) || body.contains(old.access_key_secret.expose()) {
        return Err("the refusal carries the old credentials".into());
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("refusal is not JSON ({e}): {body}"))?;
    let code = v["Code"].as_str().unwrap_or_default();
    if !matches!(code, "CredentialsExpired" | "NeedsUser") {
        return Err(format!(
            "refusal Code {code:?}, not CredentialsExpired or NeedsUser: {body}"
        ));
    }
    error_ok(prov, kind, v["Message"].as_str().map(str::to_string))
}

/// The engine's own refusal near expiry, examined like the endpoint's.
fn engine_refusal_ok(
    prov: Prov,
    kind: FaultKind,
    e: &alicred_core::engine::EngineError,
    expires: DateTime<Utc>,
    answered: DateTime<Utc>,
) -> Result<(), String> {
    use alicred_core::engine::EngineError;
    if expires - answered > MARGIN {
        return Err(format!(
            "the engine refused with {} ms left on the cache: {e}",
            (expires - answered).num_milliseconds()
        ));
    }
    match e {
        EngineError::Expired { reason, .. } => error_ok(prov, kind, Some(reason.clone())),
        EngineError::NeedsUser { why, .. } => error_ok(prov, kind, Some(why.clone())),
        other => Err(format!("near expiry the engine refused with {other}")),
    }
}

fn error_ok(prov: Prov, kind: FaultKind, error: Option<String>) -> Result<(), String> {
    let msg = error.unwrap_or_default();
    if !says(prov, kind)
        .iter()
        .any(|w| msg.to_lowercase().contains(&w.to_lowercase()))
    {
        return Err(format!(
            "error {msg:?} does not say what happened (expected one of {:?})",
            says(prov, kind)
        ));
    }
    if msg.lines().count() != 1 {
        return Err(format!("error is not one line: {msg:?}"));
    }
    Ok(())
}

/// Fault on past expiry, then cleared: the temporary-credential providers.
async fn across_expiry(run: &Run, kind: FaultKind, first: &Credentials) -> Result<(), String> {
    let engine = run.agent.engine();
    let expires = first.expiration.ok_or("a session without Expiration")?;
    let (mut served_cached, mut refused) = (0, 0);
    // Until a few seconds past expiry: ask both the engine and the endpoint.
    while Utc::now() < expires + chrono::Duration::seconds(3) {
        // The engine decides between `asked` and `answered`: a hand-out
        // must have had more than the serve margin left at `asked`, and a
        // refusal is right only if it had no more than that at `answered`
        // (so a loaded machine cannot make either check flaky).
        let asked = Utc::now();
        let got = engine.credentials(&run.target).await;
        let answered = Utc::now();
        match got {
            Ok(c) => {
                margin_ok(c.expiration.ok_or("no Expiration")?, asked, "the engine")?;
                if c != *first {
                    return Err("the engine returned something else than the valid cache".into());
                }
            }
            Err(e) => engine_refusal_ok(run.prov, kind, &e, expires, answered)?,
        }
        let asked = Utc::now();
        let got = run.get().await?;
        let answered = Utc::now();
        match got {
            Served::Ok { akid, expiration } => {
                margin_ok(expiration, asked, "the endpoint")?;
                if akid != first.access_key_id || expiration > expires {
                    return Err(format!("the endpoint served {akid}, not the cache"));
                }
                served_cached += 1;
            }
            Served::Refused { status, body } => {
                refusal_ok(run.prov, kind, status, &body, first, expires, answered)?;
                refused += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    if served_cached < 3 || refused < 1 {
        return Err(format!(
            "expected the cache served, then refusals: {served_cached} served, {refused} refused"
        ));
    }
    if run.cloud.counters().faults.values().sum::<u64>() < 1 {
        return Err("the engine did not try to refresh during the fault".into());
    }
    let (state, error) = run.state();
    match &state {
        ProfileState::Expired { .. } | ProfileState::NeedsUser { .. } => {
            error_ok(run.prov, kind, error)?
        }
        // A retry is in flight: the last error still says what happened.
        ProfileState::Refreshing { expires: None } => error_ok(run.prov, kind, error)?,
        other => return Err(format!("past expiry under a fault, state {other:?}")),
    }
    recover(run, first).await
}

/// The fault clears; no refresh, no request: the engine's own retry makes
/// the profile fresh within the back-off cap.
async fn recover(run: &Run, first: &Credentials) -> Result<(), String> {
    let cleared_at = Utc::now();
    let planned = run.retry_at().ok_or("no retry planned")?;
    if planned > cleared_at + chrono::Duration::seconds(BACKOFF_CAP_S + 1) {
        return Err(format!(
            "next retry at {planned}, beyond the back-off cap from {cleared_at}"
        ));
    }
    let before = run.cloud.counters().requests.values().sum::<u64>();
    run.cloud.clear_faults();
    // An attempt already under way may still fail (a hung call runs into
    // its timeout); the one after it comes within the cap.
    let deadline = tokio::time::Instant::now()
        + HTTP_TIMEOUT
        + Duration::from_secs(BACKOFF_CAP_S as u64)
        + SLACK;
    loop {
        let (state, error) = run.state();
        if matches!(state, ProfileState::Fresh { .. }) && error.is_none() {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "not fresh again within the back-off cap (planned retry {planned}): {state:?} {error:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if run.cloud.counters().requests.values().sum::<u64>() <= before {
        return Err("fresh again without asking the cloud".into());
    }
    let asked = Utc::now();
    match run.get().await? {
        Served::Ok { akid, expiration } => {
            margin_ok(expiration, asked, "after recovery, the endpoint")?;
            if first.expiration.is_some() && akid == first.access_key_id {
                return Err("after recovery the old session was served".into());
            }
        }
        Served::Refused { status, body } => {
            return Err(format!("fresh, yet the endpoint refused: {status} {body}"));
        }
    }
    let asked = Utc::now();
    let c = run
        .agent
        .engine()
        .credentials(&run.target)
        .await
        .map_err(|e| format!("fresh, yet the engine refused: {e}"))?;
    if let Some(e) = c.expiration {
        margin_ok(e, asked, "after recovery, the engine")?;
    }
    Ok(())
}

/// Added latency alone: every hand-out is valid and the session is renewed
/// across expiry, without a single refusal.
async fn latency(run: &Run, first: &Credentials) -> Result<(), String> {
    let expires = first.expiration.ok_or("a session without Expiration")?;
    let mut renewed = false;
    while Utc::now() < expires + chrono::Duration::seconds(3) {
        let asked = Utc::now();
        match run.get().await? {
            Served::Ok { akid, expiration } => {
                margin_ok(expiration, asked, "under latency, the endpoint")?;
                renewed |= akid != first.access_key_id;
            }
            Served::Refused { status, body } => {
                return Err(format!("latency alone refused: {status} {body}"));
            }
        }
        // (A degraded moment is allowed: on a loaded machine the metadata
        // client's 1 s token timeout can trip; what a client sees may not.)
        if let (s @ ProfileState::Expired { .. }, e) = run.state() {
            return Err(format!("added latency alone must not expire: {s:?} {e:?}"));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    if !renewed || run.cloud.counters().faults.values().sum::<u64>() == 0 {
        return Err("the session was not renewed through the latency".into());
    }
    Ok(())
}

/// A long-term key (KMS secret) never expires: a failed refresh keeps it
/// served, and the engine's retries clear the error once the fault is gone.
async fn long_term(run: &Run, kind: FaultKind, first: &Credentials) -> Result<(), String> {
    run.agent
        .engine()
        .refresh(Some(&run.target))
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match run.get().await? {
            Served::Ok { akid, .. } if akid == first.access_key_id => {}
            Served::Ok { akid, .. } => return Err(format!("served {akid}, not the key")),
            Served::Refused { status, body } => {
                return Err(format!("a long-term key was refused: {status} {body}"));
            }
        }
        let (state, error) = run.state();
        if matches!(state, ProfileState::Degraded { .. })
            && run.cloud.counters().faults.values().sum::<u64>() >= 2
        {
            error_ok(run.prov, kind, error)?;
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("never degraded: {state:?} {error:?}"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    recover(run, first).await
}

async fn scenario(prov: Prov, kind: FaultKind) -> Result<(), String> {
    let (run, service, action) = Run::start(prov).await?;
    // Fifty scenarios start at once: the first fetch may time out under
    // that load; the engine retries it.
    let start = tokio::time::Instant::now();
    let first = loop {
        match run.agent.engine().credentials(&run.target).await {
            Ok(c) => break c,
            Err(e) if start.elapsed() > Duration::from_secs(60) => {
                return Err(format!("first fetch: {e}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    match run.get().await? {
        Served::Ok { akid, .. } if akid == first.access_key_id => {}
        _ => return Err("the endpoint did not serve the first session".into()),
    }
    let mut spec = FaultSpec::new(kind).service(service).action(action);
    if kind == FaultKind::Latency {
        // Below the metadata client's own 1 s timeout even on a loaded machine.
        spec = spec.latency_ms(100);
    }
    run.cloud.set_fault(spec);
    let outcome = match (prov, kind) {
        (_, FaultKind::Latency) => latency(&run, &first).await,
        (Prov::KmsSecret, _) => long_term(&run, kind, &first).await,
        _ => across_expiry(&run, kind, &first).await,
    };
    run.stop().await;
    outcome
}

fn applies(prov: Prov, kind: FaultKind) -> bool {
    // A KMS secret holds a long-term AccessKey: no Expiration to expire or misformat,
    // and no session to renew through added latency.
    !matches!(
        (prov, kind),
        (
            Prov::KmsSecret,
            FaultKind::ExpiredCredentials | FaultKind::BadExpirationFormat | FaultKind::Latency
        )
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_against_every_refreshing_provider() {
    let mut set = tokio::task::JoinSet::new();
    for prov in PROVS {
        for kind in FAULTS {
            if applies(prov, kind) {
                set.spawn(async move { (prov, kind, scenario(prov, kind).await) });
            }
        }
    }
    let mut ran = 0;
    let mut failures = Vec::new();
    while let Some(done) = set.join_next().await {
        let (prov, kind, outcome) = done.expect("scenario task");
        ran += 1;
        if let Err(e) = outcome {
            failures.push(format!("{prov:?} × {kind:?}: {e}"));
        }
    }
    assert!(
        ran >= 74,
        "the matrix must cover at least 74 scenarios (7 providers), ran {ran}"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
