//! The dispatcher: one exhaustive `match`, each request one use case, and
//! the loop that turns engine events into API events (what changed, the
//! notifications). Blocking core calls (keyring over D-Bus, file locks) run
//! on the blocking pool.

use super::error::{ApiError, ApiResult, parse_name};
use super::notify::Notifier;
use super::{Api, EndpointInfo, Event, Request, Response, RotateResult, sign_in};
use crate::engine::{EventKind, TimelineBucket};
use crate::profile::ProfileType;
use crate::usecases::RotateRequest;
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

pub(super) async fn dispatch(api: &Api, req: Request) -> ApiResult<Response> {
    let uc = &api.inner.uc;
    Ok(match req {
        Request::ListProfiles => Response::ListProfiles(api.statuses()),
        Request::GetEvents { after, limit } => {
            Response::GetEvents(newest(api.engine().events_after(after), limit))
        }
        Request::GetTimeline { name, since } => {
            let name = parse_name(&name)?;
            Response::GetTimeline(buckets_since(api.engine().timeline(&name), since))
        }
        Request::TypeGuides => {
            Response::TypeGuides(ProfileType::ALL.iter().map(|t| t.guide()).collect())
        }
        Request::FormFields => Response::FormFields(super::form::all()),
        Request::ReloadProblem => Response::ReloadProblem(api.inner.runtime.reload_problem()),
        Request::CheckProfile { input } => {
            let uc = uc.clone();
            Response::CheckProfile(blocking(move || Ok(uc.check_profile(&input)?)).await?)
        }
        Request::AddProfile {
            input,
            secret,
            replace,
        } => {
            let problems = uc.add(*input, secret.map(Into::into), replace).await?;
            profiles_changed(api);
            Response::AddProfile(problems)
        }
        Request::GetProfileInput { name } => {
            let (name, uc) = (parse_name(&name)?, uc.clone());
            Response::GetProfileInput(Box::new(
                blocking(move || Ok(uc.profile_input(&name)?)).await?,
            ))
        }
        Request::RemoveProfile { name } => {
            let (name, uc) = (parse_name(&name)?, uc.clone());
            blocking(move || Ok(uc.remove_profile(&name)?)).await?;
            profiles_changed(api);
            Response::RemoveProfile
        }
        Request::SetActive { name } => {
            let (name, uc) = (parse_name(&name)?, uc.clone());
            blocking(move || Ok(uc.use_profile(&name)?)).await?;
            profiles_changed(api);
            Response::SetActive
        }
        Request::Refresh { name } => {
            let name = name.as_deref().map(parse_name).transpose()?;
            api.engine().refresh(name.as_ref())?;
            Response::Refresh
        }
        Request::Verify { name } => Response::Verify(uc.verify(&parse_name(&name)?, None).await?),
        Request::RotatePlan { name } => {
            Response::RotatePlan(uc.rotate_plan(&parse_name(&name)?).await?)
        }
        Request::Rotate {
            name,
            delete_inactive,
        } => {
            let req = RotateRequest {
                old_key: None,
                delete_inactive,
            };
            let mut progress = |_p: crate::rotation::RotationProgress| {};
            let rotated = uc.rotate(&parse_name(&name)?, req, &mut progress).await?;
            profiles_changed(api);
            Response::Rotate(RotateResult {
                message: rotated.message(),
                rotated,
            })
        }
        Request::RotationStatus { name } => Response::RotationStatus(
            uc.rotator()
                .key_status(&parse_name(&name)?)
                .await
                .map_err(|e| ApiError::msg(e.to_string()))?,
        ),
        Request::SignIn { profile, session } => {
            Response::SignIn(sign_in::run(api, sign_in::target(profile, session)?).await?)
        }
        Request::StartSignIn { profile, session } => {
            sign_in::start(api, sign_in::target(profile, session)?);
            Response::StartSignIn
        }
        Request::SignInPrompt => Response::SignInPrompt(sign_in::current_prompt(api)),
        Request::CancelSignIn => Response::CancelSignIn(sign_in::cancel(api)),
        Request::SsoSessions => {
            let mut sessions = uc.sso_sessions().await?;
            // The engine knows of refusals the keyring's token does not tell:
            // one rule for every shell (sessions::session_signed_in).
            let groups = super::sessions::group(&api.statuses(), Utc::now());
            for s in &mut sessions {
                if let Some(g) = groups.iter().find(|g| g.session == s.name.as_str()) {
                    s.signed_in &= g.signed_in;
                }
            }
            Response::SsoSessions(sessions)
        }
        Request::SignInGroups => {
            Response::SignInGroups(super::sessions::group(&api.statuses(), Utc::now()))
        }
        Request::EndpointInfo => Response::EndpointInfo(endpoint_info(api)),
        Request::GetSettings => {
            let mut s = api.settings();
            s.autostart = api.host().autostart().unwrap_or(s.autostart);
            Response::GetSettings(s)
        }
        Request::SetSettings { settings } => {
            api.host()
                .set_autostart(settings.autostart)
                .map_err(ApiError::msg)?;
            let (s, paths) = (settings.clone(), api.app().paths().clone());
            blocking(move || super::settings::save(&paths, &s).map_err(ApiError::msg)).await?;
            if let Ok(mut g) = api.inner.settings.lock() {
                *g = settings.clone();
            }
            api.emit(Event::Settings {
                settings: settings.clone(),
            });
            Response::SetSettings(settings)
        }
        Request::OpenConsole { name } => {
            open_console(api, parse_name(&name)?).await?;
            Response::OpenConsole
        }
        Request::CopyText { text } => {
            let host = api.inner.host.clone();
            blocking(move || host.copy(&text).map_err(ApiError::msg)).await?;
            Response::CopyText
        }
        Request::OpenDashboard => {
            api.host().open_dashboard();
            Response::OpenDashboard
        }
        Request::Quit => {
            api.host().quit();
            Response::Quit
        }
    })
}

/// The console use case: a one-shot local URL opened in the profile's
/// browser; how it ends (opened, failed, not used in time) is told by a
/// notification only when it did not open.
async fn open_console(api: &Api, profile: crate::profile::ProfileName) -> ApiResult<()> {
    use crate::usecases::{ConsoleOutcome, ConsoleRequest, console};
    let uc = &api.inner.uc;
    let req = ConsoleRequest {
        profile: Some(profile),
        destination: None,
        federation_endpoint: None,
        browser: None,
    };
    let plan = uc.console_plan(&req).await?;
    let session = uc.console_open(&plan).await?;
    console::launch(&plan.browser, &session.url).map_err(ApiError::msg)?;
    let api = api.clone();
    tokio::spawn(async move {
        let why = match session.wait().await {
            ConsoleOutcome::Opened => return,
            ConsoleOutcome::Failed(e) => ApiError::from(e).message,
            ConsoleOutcome::Expired => format!(
                "The console link for {} was not used in time; nothing was signed in.",
                plan.profile
            ),
        };
        api.emit(Event::Notification {
            note: super::notify::Note::error(&why),
        });
    });
    Ok(())
}

/// Run a blocking core call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::msg(format!("internal error: {e}")))?
}

/// The list changed (added, removed, a new active profile): say so with
/// the new list.
fn profiles_changed(api: &Api) {
    api.emit_status(|api| {
        Some(Event::Profiles {
            profiles: api.statuses(),
            reload_problem: api.inner.runtime.reload_problem(),
        })
    });
}

fn endpoint_info(api: &Api) -> EndpointInfo {
    let listen = api.inner.runtime.listen();
    match api.endpoint_lines() {
        Ok((url, export)) => EndpointInfo {
            url: Some(url),
            export_line: Some(export),
            listen,
            running: true,
            error: None,
        },
        Err(e) => EndpointInfo {
            url: None,
            export_line: None,
            listen,
            running: false,
            error: Some(e),
        },
    }
}

/// Engine events → API events: the log line, what changed (the profile's
/// new status, or the whole list after a reload), and the notification the
/// notifier decides on, if any. A state change that is not logged (a
/// refresh starting or ending well) still pushes the profile's status: the
/// dashboard and tray show what the engine holds, not what the log said.
pub(super) fn spawn_event_loop(api: Api) {
    let mut rx = api.engine().subscribe();
    let mut states = api.engine().subscribe_states();
    tokio::spawn(async move {
        let mut notifier = Notifier::default();
        loop {
            let ev = tokio::select! {
                ev = rx.recv() => ev,
                name = states.recv() => {
                    match name {
                        Ok(name) => push_status(&api, &name),
                        Err(RecvError::Lagged(_)) => api.emit(Event::Resync),
                        Err(RecvError::Closed) => break,
                    }
                    continue;
                }
            };
            let ev = match ev {
                Ok(ev) => ev,
                Err(RecvError::Lagged(_)) => {
                    api.emit(Event::Resync);
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            let mut sign_in = None;
            api.emit_status(|api| {
                let statuses = api.statuses();
                let status = ev
                    .profile
                    .as_deref()
                    .and_then(|n| statuses.iter().find(|p| p.name == n));
                sign_in = status.and_then(|p| p.sign_in.clone());
                Some(match status {
                    Some(s) if ev.kind != EventKind::ConfigReloaded => Event::Profile {
                        status: Box::new(s.clone()),
                    },
                    _ => Event::Profiles {
                        profiles: statuses.clone(),
                        reload_problem: api.inner.runtime.reload_problem(),
                    },
                })
            });
            api.emit(Event::Log { event: ev.clone() });
            // A reload or a refresh may carry a new sign-in end.
            api.inner.reminders_wanted.notify_one();
            if let Some(note) = notifier.decide_with(&ev, sign_in.as_ref()) {
                api.emit(Event::Notification { note });
            }
        }
    });
}

/// Push one profile's status as the engine holds it now.
fn push_status(api: &Api, name: &str) {
    api.emit_status(|api| {
        api.engine().status_of(name).map(|s| Event::Profile {
            status: Box::new(s),
        })
    });
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
