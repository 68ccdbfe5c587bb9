//! One-click AccessKey rotation that never loses a working key (docs/rotation.md).
//!
//! ```text
//! ListAccessKeys ─(two keys: stop, or delete an *inactive* one with consent)
//!   → CreateAccessKey → keyring PendingKey → GetCallerIdentity (retried while
//!   the key propagates) → keyring Profile := new → drop cached sessions of the
//!   profile and of every profile chained on it → UpdateAccessKey old Inactive
//!   → DeleteAccessKey old (at once, after a grace period, or never)
//! ```
//!
//! Each step is written to the profile's journal ([`journal`]) and fsynced
//! *before* it runs. One rotation per profile at a time: a `FileLock`
//! (`locks/rotation-<name>.lock`) shared by the app, the agent and the CLI.
//! [`Rotator::resume_all`] runs at every start (agent, app, `alicred rotate`)
//! and resumes or rolls back whatever a crash interrupted.
//!
//! # Crash boundaries
//!
//! "Crash in X" means the journal says X: X's action may not have run, may
//! have run halfway, or may have finished without the next journal write.
//! The RAM/STS client always signs with the key the profile has in the
//! keyring *now* (old before the switch, new after it).
//!
//! | journal step        | what may have happened                               | the profile's key          | on resume                                                                                         |
//! |---------------------|------------------------------------------------------|----------------------------|---------------------------------------------------------------------------------------------------|
//! | `listing`           | nothing (read only)                                  | old, works                 | close as rolled back                                                                              |
//! | `deleting-inactive` | an inactive key that is not the profile's (consented) may be gone | old, works    | close as rolled back (nothing the profile needs was touched)                                       |
//! | `creating`          | a new key may exist in RAM; its secret is lost       | old, works                 | ListAccessKeys; every key not in `known_key_ids` and not the profile's is ours and unusable: delete it; rolled back |
//! | `storing-pending`   | new key exists (id journaled); keyring item may be missing | old, works           | pending item has the new id → verify and continue; else delete the new key, rolled back            |
//! | `verifying`         | new key stored as pending, maybe not yet verified    | old, works                 | verify (retrying); works → continue; doesn't within the window → delete new key, rolled back        |
//! | `switching`         | profile item may already hold the new key            | old or new, both work      | profile has new → continue; else copy pending → profile, continue                                  |
//! | `invalidating`      | sessions may not have been dropped                   | new, works                 | drop sessions again (idempotent), continue                                                        |
//! | `deactivating`      | old key may be Active or Inactive                    | new, works                 | UpdateAccessKey old Inactive again (idempotent; already gone is fine), continue                   |
//! | `awaiting-delete`   | old key Inactive, grace period running               | new, works                 | grace over → delete old; else leave it (the journal stays open)                                   |
//! | `deleting`          | old key may be deleted                               | new, works                 | DeleteAccessKey old again (already gone is fine), done                                            |
//! | `rolling-back`      | the new (unusable) key may be deleted                | old, works                 | delete the new key again (already gone is fine), rolled back                                      |
//! | `done`/`rolled-back`| closed                                               | new / old                  | nothing                                                                                           |
//!
//! Guards, checked right before every `DeleteAccessKey`: the key is not the
//! one the profile holds in the keyring now; the old key is deleted only
//! after the profile's key *is* the verified new key; the new key is deleted
//! only while the profile still holds the old one. The user never has more
//! than two keys (RAM enforces it; a rotation starts only when one slot is
//! free). A failed step before the switch rolls back; after the switch it
//! leaves the journal open (the new key works) and the next start finishes.
//!
//! Test hook: in builds with the `test-hooks` feature only,
//! `ALICRED_TEST_CRASH_AT=<step>` / `<step>:done` aborts the process at that
//! boundary ([`hook`]); otherwise it does nothing.

pub mod error;
mod finish;
mod grace;
pub mod hook;
pub mod journal;
pub mod kms;
pub mod policy;
mod run;
mod steps;
mod undo;
pub mod watch;

pub use error::RotationError;
pub use grace::GRACE_POLL;
pub use journal::{Journal, JournalStore, OldKeyAction, Step};
pub use kms::KmsRotation;
pub use policy::RotationStatus;
pub use watch::spawn_journal_watch;

use crate::engine::EventBus;
use crate::engine::EventData;
use crate::profile::{AccessKeyProfile, Profile, ProfileKind, ProfileName};
use crate::providers::ProviderContext;
use crate::service::Alicred;
use crate::store::lock::FileLock;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Default grace period before the old key is deleted.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Drops cached sessions of a profile and of every profile chained on it.
/// The engine implements it; the CLI without an agent passes [`NoSessions`].
pub trait SessionInvalidator: Send + Sync {
    fn invalidate(&self, profile: &ProfileName);
}

/// No engine in this process: nothing cached to drop.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSessions;

impl SessionInvalidator for NoSessions {
    fn invalidate(&self, _profile: &ProfileName) {}
}

impl SessionInvalidator for crate::engine::Engine {
    fn invalidate(&self, profile: &ProfileName) {
        // Unknown to this engine (not loaded yet) is fine: nothing cached.
        let _ = crate::engine::Engine::invalidate(self, profile);
    }
}

/// What the user chose for one rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotateOptions {
    pub old_key: OldKeyAction,
    /// Consent to delete an *inactive* key that is not the profile's when the
    /// user already has two keys. An active key is never deleted.
    pub delete_inactive: bool,
}

impl Default for RotateOptions {
    fn default() -> Self {
        Self {
            old_key: OldKeyAction::DeleteAfter {
                grace_seconds: DEFAULT_GRACE.as_secs(),
            },
            delete_inactive: false,
        }
    }
}

/// Timing knobs (tests shorten them).
#[derive(Clone, Debug)]
pub struct RotationSettings {
    /// How long the new key may take to propagate before the rotation rolls back.
    pub verify_window: Duration,
    /// First pause between verification attempts (doubles, capped at 5 s).
    pub verify_first_delay: Duration,
    /// Attempts of an idempotent RAM call on a transient failure.
    pub ram_attempts: u32,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            verify_window: Duration::from_secs(30),
            verify_first_delay: Duration::from_millis(500),
            ram_attempts: 3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Started,
    Retrying,
    Finished,
}

/// One line of progress for the CLI and the app. Never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotationProgress {
    pub profile: String,
    pub step: Step,
    pub phase: Phase,
    pub message: String,
}

/// How a rotation (or a resumed one) ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    pub profile: String,
    /// `done`, `rolled-back`, or `awaiting-delete` (old key inactive, deleted later).
    pub step: Step,
    pub old_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_after: Option<DateTime<Utc>>,
    /// Where an interrupted rotation was picked up, if this was a resume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<Step>,
    pub message: String,
}

pub type Progress<'a> = &'a mut (dyn FnMut(RotationProgress) + Send + Sync);

/// Rotation for one alicred home: keyring, profiles, journals, clients.
#[derive(Clone)]
pub struct Rotator {
    pub(crate) app: Alicred,
    pub(crate) ctx: ProviderContext,
    pub(crate) sessions: Arc<dyn SessionInvalidator>,
    pub(crate) events: Option<Arc<EventBus>>,
    pub(crate) settings: RotationSettings,
}

impl std::fmt::Debug for Rotator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotator")
            .field("home", &self.app.paths().base())
            .finish_non_exhaustive()
    }
}

impl Rotator {
    /// Real clock, default HTTP client, the app's keyring.
    pub fn new(app: Alicred, sessions: Arc<dyn SessionInvalidator>) -> Self {
        let ctx = app.provider_context();
        Self::with_context(app, ctx, sessions)
    }

    /// With a given provider context (clock, HTTP client, environment).
    pub fn with_context(
        app: Alicred,
        ctx: ProviderContext,
        sessions: Arc<dyn SessionInvalidator>,
    ) -> Self {
        Self {
            app,
            ctx,
            sessions,
            events: None,
            settings: RotationSettings::default(),
        }
    }

    /// Also report to the engine's event bus (`rotation`, `key-due` events).
    pub fn with_events(mut self, bus: Arc<EventBus>) -> Self {
        self.events = Some(bus);
        self
    }

    pub fn with_settings(mut self, settings: RotationSettings) -> Self {
        self.settings = settings;
        self
    }

    pub fn journals(&self) -> JournalStore {
        JournalStore::new(self.app.paths())
    }

    /// Rotate `name`'s AccessKey. An unfinished earlier rotation of the
    /// profile is resumed first; if that completes it, no new one starts.
    pub async fn rotate(
        &self,
        name: &ProfileName,
        opts: RotateOptions,
        progress: Progress<'_>,
    ) -> Result<RotationReport, RotationError> {
        let (profile, ak) = self.access_key_profile(name)?;
        let lock = self.lock(name)?;
        let earlier = self.journals().load(name)?;
        if let Some(mut j) = earlier.filter(|j| !j.step.is_terminal()) {
            let awaiting = j.step == Step::AwaitingDelete;
            if awaiting {
                // The last rotation's old key waits for deletion and takes
                // RAM's second slot: delete it early only with consent.
                if !opts.delete_inactive {
                    return Err(RotationError::TwoKeys {
                        deletable: Some(j.old_key_id.clone()),
                        message: format!(
                            "rotation of {name} not started: the old key {} of the last rotation is inactive and scheduled for deletion at {}, so the RAM user has two AccessKeys. Allow alicred to delete it now, or rotate after that time",
                            j.old_key_id,
                            j.delete_after
                                .map(crate::credentials::format_expiration)
                                .unwrap_or_default()
                        ),
                    });
                }
                j.delete_after = Some(self.ctx.clock.now());
            }
            let report = run::Run::new(self, profile.clone(), ak.clone(), j, &mut *progress)
                .resume()
                .await?;
            if report.step != Step::RolledBack && !awaiting {
                return Ok(report);
            }
        }
        let r = run::Run::start(self, profile, ak, opts, progress).await;
        drop(lock);
        r
    }

    /// Resume or roll back every interrupted rotation (call at every start).
    /// Profiles whose rotation another process is running are reported `Busy`;
    /// an `awaiting-delete` whose grace period is not over is left alone.
    pub async fn resume_all(
        &self,
        progress: Progress<'_>,
    ) -> Vec<(ProfileName, Result<RotationReport, RotationError>)> {
        let names = match self.journals().profiles() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("cannot list rotation journals: {e}");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for name in names {
            if let Some(r) = self.resume(&name, &mut *progress).await {
                out.push((name, r));
            }
        }
        out
    }

    /// Resume one profile's interrupted rotation; `None` when there is none
    /// (or only a grace period still running).
    pub async fn resume(
        &self,
        name: &ProfileName,
        progress: Progress<'_>,
    ) -> Option<Result<RotationReport, RotationError>> {
        let j = match self.journals().load(name) {
            Ok(Some(j)) if !j.step.is_terminal() => j,
            Ok(_) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        let now = self.ctx.clock.now();
        if j.step == Step::AwaitingDelete && j.delete_after.is_some_and(|t| now < t) {
            return None;
        }
        let lock = match self.lock(name) {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        // Re-read under the lock: the holder may just have finished it.
        let j = match self.journals().load(name) {
            Ok(Some(j)) if !j.step.is_terminal() => j,
            Ok(_) => return None,
            Err(e) => return Some(Err(e.into())),
        };
        let r = match self.access_key_profile(name) {
            Ok((profile, ak)) => run::Run::new(self, profile, ak, j, progress).resume().await,
            Err(e) => Err(RotationError::Config(format!(
                "an interrupted rotation of {name} cannot be resumed: {e}; check its keys in the RAM console (journal {})",
                self.journals().path(name).display()
            ))),
        };
        drop(lock);
        Some(r)
    }

    pub(crate) fn access_key_profile(
        &self,
        name: &ProfileName,
    ) -> Result<(Profile, AccessKeyProfile), RotationError> {
        let file = self
            .app
            .profiles()
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let profile = file
            .get(name)
            .map_err(|e| RotationError::Config(e.to_string()))?
            .clone();
        match &profile.kind {
            ProfileKind::AccessKey(ak) => {
                let ak = ak.clone();
                Ok((profile, ak))
            }
            other => Err(RotationError::NotRotatable {
                name: name.clone(),
                ty: other.profile_type(),
            }),
        }
    }

    /// The per-profile rotation lock, or `Busy`.
    pub(crate) fn lock(&self, name: &ProfileName) -> Result<FileLock, RotationError> {
        FileLock::try_exclusive(&self.app.paths().lock_dir(), &format!("rotation-{name}"))
            .map_err(|e| RotationError::Journal(format!("cannot take the rotation lock: {e}")))?
            .ok_or_else(|| RotationError::Busy(name.clone()))
    }

    pub(crate) fn emit(&self, profile: &ProfileName, data: EventData, message: String) {
        if let Some(bus) = &self.events {
            bus.emit_data(self.ctx.clock.now(), Some(profile.as_str()), data, message);
        }
    }

    /// A rotation ended (`outcome`), told to the event bus.
    pub(crate) fn emit_outcome(
        &self,
        profile: &ProfileName,
        outcome: crate::engine::RotationOutcome,
        message: String,
    ) {
        self.emit(profile, EventData::Rotation { outcome }, message);
    }
}

/// Resume every interrupted rotation with the default settings: what
/// `alicred agent`, `alicred rotate` and the app call at start. Returns one
/// line per rotation it touched (for a log or stderr).
pub async fn resume_all(app: &Alicred, sessions: Arc<dyn SessionInvalidator>) -> Vec<String> {
    let rotator = Rotator::new(app.clone(), sessions);
    let mut ignore = |_p: RotationProgress| {};
    rotator
        .resume_all(&mut ignore)
        .await
        .into_iter()
        .map(|(name, r)| match r {
            Ok(rep) => format!("interrupted rotation of {name}: {}", rep.message),
            Err(e) => format!("interrupted rotation of {name}: {e}"),
        })
        .collect()
}
