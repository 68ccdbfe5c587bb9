//! The tray: a dispatcher that the menu and the tests both call, and the thin
//! glue that turns the menu model (`tray_model.rs`) into a Tauri menu and
//! swaps the icon when something needs attention.

use crate::state::AppState;
pub use crate::tray_model::*;
use chrono::Utc;
use std::sync::Arc;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, MenuItemKind, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};
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
    use alicred_core::paths::Paths;
    use alicred_core::profile::ProfileInput;
    use alicred_core::sensitive::Sensitive;
    use alicred_core::service::Alicred;
    use alicred_core::store::secrets::{MemoryStore, StoredKey};

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
