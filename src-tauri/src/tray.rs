//! The tray: a menu *model* built by a plain function, a dispatcher that the
//! menu and the tests both call, and the thin glue that turns the model into
//! a Tauri menu and swaps the icon when something needs attention.

use crate::state::AppState;
use alicred_core::engine::{ProfileState, ProfileStatus};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, MenuItemKind, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

pub const TRAY_ID: &str = "alicred";
pub const ICON: &[u8] = include_bytes!("../icons/tray.png");
pub const ICON_ATTENTION: &[u8] = include_bytes!("../icons/tray-attention.png");

pub const ID_REFRESH_ALL: &str = "refresh-all";
pub const ID_ROTATE_DUE: &str = "rotate-due";
pub const ID_COPY_URL: &str = "copy-url";
pub const ID_COPY_EXPORT: &str = "copy-export";
pub const ID_OPEN: &str = "open";
pub const ID_QUIT: &str = "quit";
pub const PROFILE_PREFIX: &str = "profile:";

pub use crate::tray_labels::{state_label, time_left};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayItem {
    /// A profile: check item, checked when active; clicking makes it active.
    Profile {
        id: String,
        label: String,
        active: bool,
    },
    Action {
        id: &'static str,
        label: String,
        enabled: bool,
    },
    /// Starts a sign-in ([`crate::tray_sso`]).
    SignIn {
        id: String,
        label: String,
    },
    Submenu {
        label: String,
        items: Vec<TrayItem>,
    },
    Separator,
}

/// The whole menu, top to bottom.
pub fn tray_model(
    statuses: &[ProfileStatus],
    endpoint: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<TrayItem> {
    let mut out = Vec::new();
    if statuses.is_empty() {
        out.push(TrayItem::Action {
            id: ID_OPEN,
            label: "No profiles — open the dashboard to add one".into(),
            enabled: true,
        });
    }
    let (sessions, in_sessions) = crate::tray_sso::session_menus(statuses, now);
    for p in statuses.iter().filter(|p| !in_sessions.contains(&p.name)) {
        let mark = if p.capabilities.needs_attention {
            "⚠ "
        } else {
            ""
        };
        out.push(TrayItem::Profile {
            id: format!("{PROFILE_PREFIX}{}", p.name),
            label: format!("{mark}{} — {}", p.name, state_label(&p.state, now)),
            active: p.active,
        });
    }
    out.extend(sessions);
    out.extend(crate::tray_sso::oauth_sign_ins(statuses));
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_REFRESH_ALL,
        label: "Refresh all".into(),
        enabled: !statuses.is_empty(),
    });
    // Rotation asks for confirmation, so it happens in the dashboard.
    let rotatable = statuses.iter().any(|p| p.capabilities.rotatable);
    out.push(TrayItem::Action {
        id: ID_ROTATE_DUE,
        label: "Rotate a key…".into(),
        enabled: rotatable,
    });
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_COPY_URL,
        label: "Copy endpoint URL".into(),
        enabled: endpoint.is_some(),
    });
    out.push(TrayItem::Action {
        id: ID_COPY_EXPORT,
        label: "Copy export line".into(),
        enabled: endpoint.is_some(),
    });
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_OPEN,
        label: "Open dashboard".into(),
        enabled: true,
    });
    out.push(TrayItem::Action {
        id: ID_QUIT,
        label: "Quit alicred".into(),
        enabled: true,
    });
    out
}

/// Does any profile need the user (attention icon)?
pub fn needs_attention(statuses: &[ProfileStatus]) -> bool {
    statuses.iter().any(|p| p.capabilities.needs_attention)
}

/// What the GUI layer still has to do after [`tray_action`].
#[derive(Debug, PartialEq, Eq)]
pub enum TrayOutcome {
    /// State changed; rebuild the menu.
    Changed,
    Copy(String),
    OpenDashboard,
    Quit,
    /// Show the dashboard and sign in there ([`crate::signin::start_from_menu`]).
    SignIn(alicred_core::usecases::SignInTarget),
    /// Nothing to do (unknown id, disabled item).
    Nothing,
    Failed(String),
}

/// Carry out a menu click. The tray menu and the tests call this same code.
pub fn tray_action(id: &str, state: &AppState) -> TrayOutcome {
    if let Some(name) = id.strip_prefix(PROFILE_PREFIX) {
        let set = name
            .parse()
            .map_err(|e: String| e)
            .and_then(|n| state.uc.use_profile(&n).map_err(|e| e.to_string()));
        return match set {
            Ok(()) => TrayOutcome::Changed,
            Err(e) => TrayOutcome::Failed(e),
        };
    }
    if let Some(target) = crate::tray_sso::sign_in_target(id) {
        return target.map_or_else(TrayOutcome::Failed, TrayOutcome::SignIn);
    }
    match id {
        ID_REFRESH_ALL => match state.agent.engine().refresh(None) {
            Ok(()) => TrayOutcome::Changed,
            Err(e) => TrayOutcome::Failed(e.to_string()),
        },
        ID_COPY_URL => match state.endpoint_lines() {
            Ok((url, _)) => TrayOutcome::Copy(url),
            Err(e) => TrayOutcome::Failed(e),
        },
        ID_COPY_EXPORT => match state.endpoint_lines() {
            Ok((_, export)) => TrayOutcome::Copy(export),
            Err(e) => TrayOutcome::Failed(e),
        },
        ID_OPEN | ID_ROTATE_DUE => TrayOutcome::OpenDashboard,
        ID_QUIT => TrayOutcome::Quit,
        _ => TrayOutcome::Nothing,
    }
}

fn build_menu(app: &AppHandle, model: &[TrayItem]) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    for item in model {
        menu.append(&menu_item(app, item)?)?;
    }
    Ok(menu)
}

fn menu_item(app: &AppHandle, item: &TrayItem) -> tauri::Result<MenuItemKind<Wry>> {
    Ok(match item {
        TrayItem::Profile { id, label, active } => MenuItemKind::Check(CheckMenuItem::with_id(
            app,
            id,
            label,
            true,
            *active,
            None::<&str>,
        )?),
        TrayItem::Action { id, label, enabled } => {
            MenuItemKind::MenuItem(MenuItem::with_id(app, *id, label, *enabled, None::<&str>)?)
        }
        TrayItem::SignIn { id, label } => {
            MenuItemKind::MenuItem(MenuItem::with_id(app, id, label, true, None::<&str>)?)
        }
        TrayItem::Submenu { label, items } => {
            let sub = Submenu::new(app, label, true)?;
            for i in items {
                sub.append(&menu_item(app, i)?)?;
            }
            MenuItemKind::Submenu(sub)
        }
        TrayItem::Separator => MenuItemKind::Predefined(PredefinedMenuItem::separator(app)?),
    })
}

/// Ask the rebuild loop ([`crate::spawn_tray_loop`]) for a new menu. Many
/// requests before it runs make one rebuild.
pub fn request_rebuild(app: &AppHandle) {
    if let Some(s) = app.try_state::<Arc<AppState>>() {
        s.tray_wanted.notify_one();
    }
}

/// When the next time-left label changes (whole minutes): the rebuild loop
/// sleeps until then, and not at all when no label counts down.
pub fn next_label_change(statuses: &[ProfileStatus], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    statuses
        .iter()
        .filter_map(|p| match &p.state {
            ProfileState::Fresh { expires } | ProfileState::Degraded { expires, .. } => *expires,
            _ => None,
        })
        .chain(crate::tray_sso::sign_in_ends(statuses))
        .filter(|e| *e > now)
        .map(|e| {
            // Labels show whole minutes (seconds below one): the label
            // changes when the time left drops below the next whole minute.
            let left = (e - now).num_seconds();
            let step = if left <= 60 { 1 } else { left % 60 + 1 };
            now + chrono::Duration::seconds(step)
        })
        .min()
}

pub fn create(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let state = app.state::<Arc<AppState>>();
    let statuses = state.agent.engine().snapshot();
    let url = state.endpoint_lines().ok().map(|(u, _)| u);
    let model = tray_model(&statuses, url.as_deref(), Utc::now());
    let menu = build_menu(app, &model)?;
    let attention = needs_attention(&statuses);
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(if attention {
            ICON_ATTENTION
        } else {
            ICON
        })?)
        .tooltip("alicred")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    *state.tray_shown.lock().unwrap_or_else(|p| p.into_inner()) = Shown {
        menu: Some(menu),
        model,
        attention: Some(attention),
    };
    Ok(tray)
}

fn on_menu(app: &AppHandle, id: &str) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    match tray_action(id, &state) {
        TrayOutcome::Changed => rebuild_fully(app),
        TrayOutcome::Copy(text) => {
            if let Err(e) = crate::copy_to_clipboard(app, &text) {
                tracing::warn!("copy failed: {e}");
            }
        }
        TrayOutcome::OpenDashboard => crate::commands::show_dashboard(app),
        TrayOutcome::Quit => crate::quit(app),
        TrayOutcome::SignIn(target) => crate::signin::start_from_menu(app, target),
        TrayOutcome::Failed(e) => crate::notify::show_error(&e),
        TrayOutcome::Nothing => {}
    }
}

/// The menu as last shown. When only profile labels change (the time left
/// counting down, a refresh), those items are updated in place: a new menu
/// costs GTK and the D-Bus menu exporter ~100 context switches, a label a few.
#[derive(Default)]
pub struct Shown {
    menu: Option<Menu<Wry>>,
    model: Vec<TrayItem>,
    attention: Option<bool>,
}

/// The `(id, label)` of each profile item whose label alone changed from
/// `old` to `new`; `None` when anything else changed (the menu is rebuilt).
pub fn label_changes<'a>(old: &[TrayItem], new: &'a [TrayItem]) -> Option<Vec<(&'a str, &'a str)>> {
    if old.len() != new.len() {
        return None;
    }
    let mut out = Vec::new();
    for (o, n) in old.iter().zip(new) {
        match (o, n) {
            (
                TrayItem::Profile { id, active, label },
                TrayItem::Profile {
                    id: new_id,
                    active: new_active,
                    label: new_label,
                },
            ) if id == new_id && active == new_active => {
                if label != new_label {
                    out.push((new_id.as_str(), new_label.as_str()));
                }
            }
            _ if o == n => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Bring the menu and the icon up to date with the current statuses.
/// Runs on the GUI thread (the tray loop sends it there), so menu calls are
/// direct and two updates never interleave.
pub fn rebuild(app: &AppHandle) {
    update(app, false);
}

/// A new menu whatever changed: after a click, GTK has already toggled the
/// clicked check item by itself, so the menu is made again from the model.
fn rebuild_fully(app: &AppHandle) {
    update(app, true);
}

fn update(app: &AppHandle, fully: bool) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let state = app.state::<Arc<AppState>>();
    let statuses = state.agent.engine().snapshot();
    let url = state.endpoint_lines().ok().map(|(u, _)| u);
    let model = tray_model(&statuses, url.as_deref(), Utc::now());
    let mut shown =
        std::mem::take(&mut *state.tray_shown.lock().unwrap_or_else(|p| p.into_inner()));
    let in_place = shown
        .menu
        .as_ref()
        .filter(|_| !fully)
        .zip(label_changes(&shown.model, &model))
        .map(|(menu, changes)| {
            for (id, label) in changes {
                if let Some(MenuItemKind::Check(item)) = menu.get(id) {
                    let _ = item.set_text(label);
                }
            }
        });
    if in_place.is_none() {
        match build_menu(app, &model) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu.clone()));
                shown.menu = Some(menu);
            }
            Err(e) => {
                tracing::warn!("tray menu: {e}");
                shown.menu = None;
            }
        }
    }
    shown.model = model;
    let attention = needs_attention(&statuses);
    if shown.attention != Some(attention)
        && let Ok(icon) = Image::from_bytes(if attention { ICON_ATTENTION } else { ICON })
    {
        let _ = tray.set_icon(Some(icon));
        shown.attention = Some(attention);
    }
    *state.tray_shown.lock().unwrap_or_else(|p| p.into_inner()) = shown;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::DesktopAgent;
    use alicred_core::engine::ChainLink;
    use alicred_core::paths::Paths;
    use alicred_core::profile::{ProfileInput, ProfileType};
    use alicred_core::sensitive::Sensitive;
    use alicred_core::service::Alicred;
    use alicred_core::store::secrets::{MemoryStore, StoredKey};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .expect("t")
    }

    fn status(name: &str, active: bool, state: ProfileState) -> ProfileStatus {
        ProfileStatus {
            name: name.into(),
            r#type: ProfileType::RamRoleArn,
            active,
            capabilities: alicred_core::engine::Capabilities::of(ProfileType::RamRoleArn, &state),
            role_arn: None,
            next_rotation: None,
            sign_in: None,
            state,
            issued_at: None,
            expires_at: None,
            refresh_at: None,
            last_refresh: None,
            last_error: None,
            access_key_id_hint: None,
            chain: Vec::<ChainLink>::new(),
            handouts: 0,
            consumers: vec![],
        }
    }

    #[test]
    fn menu_lists_profiles_with_state_and_time_left_active_checked() {
        let t = now();
        let items = tray_model(
            &[
                status("base", false, ProfileState::Fresh { expires: None }),
                status(
                    "dev",
                    true,
                    ProfileState::Fresh {
                        expires: Some(t + chrono::Duration::minutes(42)),
                    },
                ),
                status(
                    "old",
                    false,
                    ProfileState::Expired {
                        error: "503".into(),
                    },
                ),
            ],
            Some("http://127.0.0.1:1/t/v1/credentials"),
            t,
        );
        assert_eq!(
            items[0],
            TrayItem::Profile {
                id: "profile:base".into(),
                label: "base — fresh".into(),
                active: false
            }
        );
        assert_eq!(
            items[1],
            TrayItem::Profile {
                id: "profile:dev".into(),
                label: "dev — fresh, 42 min left".into(),
                active: true
            }
        );
        assert_eq!(
            items[2],
            TrayItem::Profile {
                id: "profile:old".into(),
                label: "⚠ old — expired — retrying".into(),
                active: false
            }
        );
        let actions: Vec<(&str, bool)> = items
            .iter()
            .filter_map(|i| match i {
                TrayItem::Action { id, enabled, .. } => Some((*id, *enabled)),
                _ => None,
            })
            .collect();
        assert_eq!(
            actions,
            vec![
                (ID_REFRESH_ALL, true),
                (ID_ROTATE_DUE, false), // no rotatable profile here
                (ID_COPY_URL, true),
                (ID_COPY_EXPORT, true),
                (ID_OPEN, true),
                (ID_QUIT, true)
            ]
        );
    }

    #[test]
    fn empty_and_no_endpoint() {
        let items = tray_model(&[], None, now());
        assert!(matches!(&items[0], TrayItem::Action { id, .. } if *id == ID_OPEN));
        assert!(items.iter().any(
            |i| matches!(i, TrayItem::Action { id, enabled: false, .. } if *id == ID_COPY_URL)
        ));
        assert!(items.iter().any(
            |i| matches!(i, TrayItem::Action { id, enabled: false, .. } if *id == ID_REFRESH_ALL)
        ));
    }

    #[test]
    fn labels_alone_change_in_place_anything_else_rebuilds() {
        let t = now();
        let model = |secs: i64, active: bool| {
            let st = ProfileState::Fresh {
                expires: Some(t + chrono::Duration::seconds(secs)),
            };
            tray_model(&[status("p", active, st)], Some("http://x"), t)
        };
        let (a, b) = (model(42 * 60 + 5, false), model(41 * 60 + 5, false));
        assert_eq!(
            label_changes(&a, &b),
            Some(vec![("profile:p", "p — fresh, 41 min left")])
        );
        assert_eq!(label_changes(&a, &a), Some(vec![]), "nothing to do");
        assert_eq!(
            label_changes(&a, &model(41 * 60, true)),
            None,
            "active moved"
        );
        assert_eq!(
            label_changes(&a, &tray_model(&[], Some("http://x"), t)),
            None,
            "profiles added or removed"
        );
        assert_eq!(
            label_changes(&a, &tray_model(&[], None, t)),
            None,
            "actions changed"
        );
    }

    #[test]
    fn the_menu_wakes_only_when_a_label_changes() {
        let t = now();
        let fresh = |secs: i64| {
            status(
                "p",
                false,
                ProfileState::Fresh {
                    expires: Some(t + chrono::Duration::seconds(secs)),
                },
            )
        };
        assert_eq!(next_label_change(&[], t), None);
        assert_eq!(
            next_label_change(
                &[status("k", false, ProfileState::Fresh { expires: None })],
                t
            ),
            None,
            "long-term keys never count down"
        );
        assert_eq!(
            next_label_change(&[fresh(42 * 60 + 10)], t),
            Some(t + chrono::Duration::seconds(11))
        );
        assert_eq!(
            next_label_change(&[fresh(30)], t),
            Some(t + chrono::Duration::seconds(1))
        );
    }

    #[test]
    fn attention_and_time_left() {
        assert!(!needs_attention(&[status("a", false, ProfileState::Idle)]));
        assert!(needs_attention(&[
            status("a", false, ProfileState::Idle),
            status(
                "b",
                false,
                ProfileState::NeedsUser {
                    why: "token".into()
                }
            )
        ]));
        assert_eq!(time_left(chrono::Duration::seconds(30)), "30 s");
        assert_eq!(time_left(chrono::Duration::minutes(125)), "2 h 5 min");
        assert_eq!(time_left(chrono::Duration::hours(3)), "3 h");
        assert_eq!(time_left(chrono::Duration::hours(72)), "3 days");
        assert_eq!(time_left(chrono::Duration::seconds(-1)), "expired");
        let t = now();
        let d = ProfileState::Degraded {
            error: "e".into(),
            retry_at: t,
            expires: Some(t + chrono::Duration::minutes(5)),
        };
        assert_eq!(state_label(&d, t), "refresh failing, 5 min left");
    }

    async fn app_state(dir: &std::path::Path) -> AppState {
        let alicred =
            Alicred::with_store(Paths::new(dir), std::sync::Arc::new(MemoryStore::default()));
        for name in ["one", "two"] {
            let input = ProfileInput {
                name: name.into(),
                r#type: "access-key".into(),
                ..Default::default()
            };
            let key = StoredKey {
                access_key_id: format!("LTAI{name}"),
                access_key_secret: Sensitive::new("s3cret"),
                security_token: None,
            };
            alicred.add_profile(&input, Some(key), false).expect("add");
        }
        let agent = DesktopAgent::start_on(&alicred, Some(([127, 0, 0, 1], 0).into()))
            .await
            .expect("agent");
        AppState::new(alicred, agent)
    }

    #[tokio::test]
    async fn clicking_a_profile_makes_it_active_through_the_same_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = app_state(dir.path()).await;
        let before = state.agent.engine().snapshot();
        assert!(before.iter().any(|p| p.name == "one" && p.active));
        assert_eq!(tray_action("profile:two", &state), TrayOutcome::Changed);
        assert_eq!(
            state
                .alicred
                .profiles()
                .expect("file")
                .active
                .map(|n| n.to_string()),
            Some("two".into())
        );
        let after = state.agent.engine().snapshot();
        assert!(after.iter().any(|p| p.name == "two" && p.active));
        let model = tray_model(&after, None, Utc::now());
        assert!(
            model.contains(&TrayItem::Profile {
                id: "profile:two".into(),
                label: model
                    .iter()
                    .find_map(|i| match i {
                        TrayItem::Profile { id, label, .. } if id == "profile:two" =>
                            Some(label.clone()),
                        _ => None,
                    })
                    .unwrap_or_default(),
                active: true
            })
        );
        assert!(
            matches!(tray_action("profile:nope", &state), TrayOutcome::Failed(e) if e.contains("nope"))
        );
        assert!(matches!(
            tray_action("profile:bad name!", &state),
            TrayOutcome::Failed(_)
        ));
        state.agent.shutdown().await;
    }

    #[tokio::test]
    async fn other_actions() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = app_state(dir.path()).await;
        assert_eq!(tray_action(ID_REFRESH_ALL, &state), TrayOutcome::Changed);
        assert_eq!(tray_action(ID_OPEN, &state), TrayOutcome::OpenDashboard);
        assert_eq!(tray_action(ID_QUIT, &state), TrayOutcome::Quit);
        assert_eq!(
            tray_action(ID_ROTATE_DUE, &state),
            TrayOutcome::OpenDashboard
        );
        let model = tray_model(&state.agent.engine().snapshot(), None, Utc::now());
        assert!(model.contains(&TrayItem::Action {
            id: ID_ROTATE_DUE,
            label: "Rotate a key…".into(),
            enabled: true
        }));
        assert_eq!(tray_action("bogus", &state), TrayOutcome::Nothing);
        let (url, _) = state.endpoint_lines().expect("endpoint running");
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/v1/credentials"),
            "{url}"
        );
        assert_eq!(
            tray_action(ID_COPY_URL, &state),
            TrayOutcome::Copy(url.clone())
        );
        // The same switches `alicred env` sets (it used to be the URI alone).
        assert_eq!(
            tray_action(ID_COPY_EXPORT, &state),
            TrayOutcome::Copy(format!(
                "export ALIBABA_CLOUD_CREDENTIALS_URI={url} ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"
            ))
        );
        state.agent.shutdown().await;
    }
}
