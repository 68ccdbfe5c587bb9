//! The dashboard's commands, run in the tray agent: each one only translates
//! between JSON and a core call (the dashboard process forwards them over the
//! control socket, [`crate::control`]). Blocking core calls (keyring over
//! D-Bus, file locks) run on the blocking pool.

use crate::error::{CmdResult, CommandError, parse_name};
use crate::state::{AppState, Settings};
use alicred_core::engine::TimelineBucket;
use alicred_core::profile::{ProfileInput, ProfileType};
use alicred_core::sensitive::Sensitive;
use alicred_core::store::secrets::StoredKey;
use alicred_core::usecases::{RotateRequest, Rotated};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Run one command by name. Unknown names and bad arguments are errors a
/// person can read (the dashboard and this agent come from one build, so
/// they mean a bug or a hostile client, not a user's mistake).
pub async fn handle(state: &Arc<AppState>, cmd: &str, args: Value) -> CmdResult<Value> {
    let st = state;
    match cmd {
        "list_profiles" => json(st.agent.engine().snapshot()),
        "get_events" => {
            let a: EventsArgs = parse(cmd, args)?;
            json(newest(st.agent.engine().events_after(a.after), a.limit))
        }
        "get_timeline" => {
            let a: TimelineArgs = parse(cmd, args)?;
            let name = parse_name(&a.name)?;
            json(buckets_since(st.agent.engine().timeline(&name), a.since))
        }
        "type_guides" => json(
            ProfileType::ALL
                .iter()
                .map(|t| t.guide())
                .collect::<Vec<_>>(),
        ),
        "reload_problem" => json(st.agent.reload_problem()),
        "check_profile" => {
            let a: InputArgs = parse(cmd, args)?;
            json(blocking(st, move |s| Ok(s.uc.check_profile(&a.input)?)).await?)
        }
        "add_profile" => {
            // The dashboard's process asked the person about an external
            // command (a native dialog) before it sent this.
            let a: AddArgs = parse(cmd, args)?;
            let problems = st
                .uc
                .add(a.input, a.secret.map(StoredKey::from), a.replace)
                .await?;
            json(problems)
        }
        "get_profile_input" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            json(blocking(st, move |s| Ok(s.uc.profile_input(&name)?)).await?)
        }
        "remove_profile" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            blocking(st, move |s| Ok(s.uc.remove_profile(&name)?)).await?;
            json(())
        }
        "set_active" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            blocking(st, move |s| Ok(s.uc.use_profile(&name)?)).await?;
            crate::tray::request_update(st);
            json(())
        }
        "refresh" => {
            let a: MaybeNameArgs = parse(cmd, args)?;
            let name = a.name.as_deref().map(parse_name).transpose()?;
            st.agent.engine().refresh(name.as_ref())?;
            json(())
        }
        "verify" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            json(st.uc.verify(&name, None).await?)
        }
        "rotate_plan" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            json(st.uc.rotate_plan(&name).await?)
        }
        "rotate" => {
            let a: RotateArgs = parse(cmd, args)?;
            let name = parse_name(&a.name)?;
            let req = RotateRequest {
                old_key: None,
                delete_inactive: a.delete_inactive,
            };
            let mut progress = |_p: alicred_core::rotation::RotationProgress| {};
            let rotated = st.uc.rotate(&name, req, &mut progress).await?;
            crate::tray::request_update(st);
            json(RotateResult {
                message: rotated.message(),
                rotated,
            })
        }
        "rotation_status" => {
            let name = parse_name(&parse::<NameArgs>(cmd, args)?.name)?;
            json(
                st.uc
                    .rotator()
                    .key_status(&name)
                    .await
                    .map_err(|e| CommandError::msg(e.to_string()))?,
            )
        }
        "sign_in" => {
            let a: SignInArgs = parse(cmd, args)?;
            let target = crate::signin::target(a.profile, a.session)?;
            let shell = Arc::new(crate::signin::DesktopShell(st.clone()));
            json(crate::signin::run(st.clone(), target, shell).await?)
        }
        "sign_in_prompt" => json(crate::signin::current_prompt(st)),
        "cancel_sign_in" => {
            crate::signin::cancel(st);
            json(())
        }
        "sso_sessions" => json(st.uc.sso_sessions().await?),
        "endpoint_info" => json(endpoint_info(st)),
        "get_settings" => {
            let mut s = st.settings();
            s.autostart = crate::autostart::enabled().unwrap_or(s.autostart);
            json(s)
        }
        "set_settings" => {
            let settings = parse::<SettingsArgs>(cmd, args)?.settings;
            crate::autostart::set(settings.autostart).map_err(CommandError::msg)?;
            let s = settings.clone();
            blocking(st, move |st| st.save_settings(s).map_err(CommandError::msg)).await?;
            json(settings)
        }
        "copy_text" => {
            let text = parse::<TextArgs>(cmd, args)?.text;
            let s = st.clone();
            blocking(st, move |_| {
                s.clipboard.copy(&text).map_err(CommandError::msg)
            })
            .await?;
            json(())
        }
        "open_dashboard" => {
            crate::dashboard::open();
            json(())
        }
        other => Err(CommandError::msg(format!("unknown command {other:?}"))),
    }
}

fn parse<T: DeserializeOwned>(cmd: &str, args: Value) -> CmdResult<T> {
    // `null` (no arguments) reads as an empty object.
    let args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args)
        .map_err(|e| CommandError::msg(format!("{cmd}: bad arguments: {e}")))
}

fn json<T: Serialize>(v: T) -> CmdResult<Value> {
    serde_json::to_value(v).map_err(|e| CommandError::msg(format!("internal error: {e}")))
}

/// Run a blocking core call off the async threads.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    let s = state.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(|e| CommandError::msg(format!("internal error: {e}")))?
}

#[derive(Deserialize)]
struct NameArgs {
    name: String,
}

#[derive(Deserialize)]
struct MaybeNameArgs {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct EventsArgs {
    #[serde(default)]
    after: Option<u64>,
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct TimelineArgs {
    name: String,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct InputArgs {
    input: ProfileInput,
}

#[derive(Deserialize)]
struct AddArgs {
    input: ProfileInput,
    #[serde(default)]
    secret: Option<SecretInput>,
    #[serde(default)]
    replace: bool,
}

/// The secret as the form sends it: once, never echoed back.
#[derive(Deserialize)]
struct SecretInput {
    access_key_id: String,
    access_key_secret: Sensitive,
    #[serde(default)]
    security_token: Option<Sensitive>,
}

impl From<SecretInput> for StoredKey {
    fn from(s: SecretInput) -> Self {
        StoredKey {
            access_key_id: s.access_key_id.trim().to_string(),
            access_key_secret: s.access_key_secret,
            security_token: s.security_token.filter(|t| !t.is_empty()),
        }
    }
}

#[derive(Deserialize)]
struct RotateArgs {
    name: String,
    #[serde(default)]
    delete_inactive: bool,
}

#[derive(Deserialize)]
struct SignInArgs {
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    session: Option<String>,
}

#[derive(Deserialize)]
struct SettingsArgs {
    settings: Settings,
}

#[derive(Deserialize)]
struct TextArgs {
    text: String,
}

/// A rotation's outcome: one line for people, and the details.
#[derive(Serialize)]
struct RotateResult {
    message: String,
    rotated: Rotated,
}

#[derive(Serialize)]
struct EndpointInfo {
    url: Option<String>,
    export_line: Option<String>,
    listen: Option<String>,
    running: bool,
    error: Option<String>,
}

fn endpoint_info(state: &AppState) -> EndpointInfo {
    match state.endpoint_lines() {
        Ok((url, export)) => EndpointInfo {
            url: Some(url),
            export_line: Some(export),
            listen: state.agent.listen(),
            running: true,
            error: None,
        },
        Err(e) => EndpointInfo {
            url: None,
            export_line: None,
            listen: state.agent.listen(),
            running: false,
            error: Some(e),
        },
    }
}

/// The event log sends only what the dashboard shows: events after the last
/// one it has, at most `limit` of the newest.
fn newest<T>(mut items: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        items.drain(..items.len().saturating_sub(n));
    }
    items
}

/// A profile's timeline, or only its buckets from `since` on (the one the
/// dashboard has last, which may have grown, and any newer): a delta.
fn buckets_since(
    mut buckets: Vec<TimelineBucket>,
    since: Option<DateTime<Utc>>,
) -> Vec<TimelineBucket> {
    if let Some(t) = since {
        buckets.retain(|b| b.start >= t);
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).expect("time")
    }

    #[test]
    fn the_event_log_sends_only_the_newest_it_shows() {
        assert_eq!(
            newest((1..=500).collect(), Some(200)),
            (301..=500).collect::<Vec<_>>()
        );
        assert_eq!(newest(vec![1, 2], Some(200)), vec![1, 2]);
        assert_eq!(newest(vec![1, 2], None), vec![1, 2]);
    }

    #[test]
    fn a_timeline_delta_holds_the_last_bucket_and_newer() {
        let day: Vec<TimelineBucket> = (0..3)
            .map(|i| TimelineBucket {
                start: at(i * 10),
                refreshes: 1,
                ..Default::default()
            })
            .collect();
        let delta = buckets_since(day.clone(), Some(at(10)));
        assert_eq!(delta, day[1..].to_vec());
        assert_eq!(buckets_since(day.clone(), None), day);
    }
}
