//! The tray: a dispatcher that the menu and the tests both call, and the thin
//! glue that shows the menu model (`tray_model.rs`) as a StatusNotifierItem
//! over D-Bus (ksni: no GTK) and flags the icon when something needs
//! attention.

use crate::state::AppState;
pub use crate::tray_model::*;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
/// What the GUI layer still has to do after [`tray_action`].
#[derive(Debug, PartialEq, Eq)]
pub enum TrayOutcome {
    /// State changed; update the menu.
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

/// Ask the update loop ([`run`]) for a fresh menu and icon. Many requests
/// before it runs make one update.
pub fn request_update(state: &AppState) {
    state.tray_wanted.notify_one();
}

/// Carry out a click's outcome (off the D-Bus service's task).
fn on_menu(state: &Arc<AppState>, id: &str) {
    match tray_action(id, state) {
        TrayOutcome::Changed => request_update(state),
        TrayOutcome::Copy(text) => {
            if let Err(e) = state.clipboard.copy(&text) {
                crate::notify::show_error(&e);
            }
        }
        TrayOutcome::OpenDashboard => crate::dashboard::open(),
        TrayOutcome::Quit => state.quit.notify_one(),
        TrayOutcome::SignIn(target) => crate::signin::start_from_menu(state, target),
        TrayOutcome::Failed(e) => crate::notify::show_error(&e),
        TrayOutcome::Nothing => {}
    }
}

/// The tray icon as the desktop's StatusNotifierHost sees it: the menu model
/// and whether something needs attention. ksni compares each new menu with
/// the last and sends the host only what changed (a label, say).
pub struct TrayIcon {
    model: Vec<TrayItem>,
    attention: bool,
    icons: Icons,
    state: Arc<AppState>,
    rt: tokio::runtime::Handle,
}

struct Icons {
    normal: Vec<ksni::Icon>,
    attention: Vec<ksni::Icon>,
}

impl TrayIcon {
    fn click(&self, id: String) {
        let st = self.state.clone();
        // A click may touch the keyring or a file: not on the D-Bus task.
        self.rt.spawn_blocking(move || on_menu(&st, &id));
    }
}

impl ksni::Tray for TrayIcon {
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        TRAY_ID.into()
    }

    fn title(&self) -> String {
        "alicred".into()
    }

    fn status(&self) -> ksni::Status {
        if self.attention {
            ksni::Status::NeedsAttention
        } else {
            ksni::Status::Active
        }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        if self.attention {
            self.icons.attention.clone()
        } else {
            self.icons.normal.clone()
        }
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.icons.attention.clone()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: "alicred".into(),
            description: if self.attention {
                "A profile needs you: open the menu".into()
            } else {
                "Credentials are fresh".into()
            },
            ..Default::default()
        }
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        self.model.iter().map(menu_item).collect()
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::info!("tray: no StatusNotifierWatcher ({reason:?}); waiting for one");
        true
    }
}

fn menu_item(item: &TrayItem) -> ksni::MenuItem<TrayIcon> {
    use ksni::menu::{CheckmarkItem, StandardItem, SubMenu};
    let on = |id: String| -> Box<dyn Fn(&mut TrayIcon) + Send + Sync> {
        Box::new(move |t: &mut TrayIcon| t.click(id.clone()))
    };
    match item {
        TrayItem::Profile { id, label, active } => CheckmarkItem {
            label: escape(label),
            checked: *active,
            activate: on(id.clone()),
            ..Default::default()
        }
        .into(),
        TrayItem::Action { id, label, enabled } => StandardItem {
            label: escape(label),
            enabled: *enabled,
            activate: on((*id).to_string()),
            ..Default::default()
        }
        .into(),
        TrayItem::SignIn { id, label } => StandardItem {
            label: escape(label),
            activate: on(id.clone()),
            ..Default::default()
        }
        .into(),
        TrayItem::Submenu { label, items } => SubMenu {
            label: escape(label),
            submenu: items.iter().map(menu_item).collect(),
            ..Default::default()
        }
        .into(),
        TrayItem::Separator => ksni::MenuItem::Separator,
    }
}

/// dbusmenu reads `_` as an access-key mark; profile names may hold one.
fn escape(label: &str) -> String {
    label.replace('_', "__")
}

/// A PNG as the ARGB32 (network order) pixmap StatusNotifierItem wants.
fn pixmap(png_bytes: &[u8]) -> Vec<ksni::Icon> {
    let decoder = png::Decoder::new(png_bytes);
    let Ok(mut reader) = decoder.read_info() else {
        return Vec::new();
    };
    let mut buf = vec![0; reader.output_buffer_size()];
    let Ok(info) = reader.next_frame(&mut buf) else {
        return Vec::new();
    };
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        tracing::warn!("tray icon is not 8-bit RGBA; the host shows its default icon");
        return Vec::new();
    }
    let mut data = buf[..info.buffer_size()].to_vec();
    for px in data.chunks_exact_mut(4) {
        px.rotate_right(1); // RGBA -> ARGB
    }
    vec![ksni::Icon {
        width: info.width as i32,
        height: info.height as i32,
        data,
    }]
}

/// Show the tray and keep it current: on request ([`request_update`]:
/// engine events, clicks) and when a time-left label changes; otherwise it
/// sleeps. Without a tray host (a bare X server, some desktops) the rest of
/// alicred runs on and the icon appears when a host does.
pub async fn run(state: Arc<AppState>) {
    use ksni::TrayMethods as _;
    let icon = TrayIcon {
        model: Vec::new(),
        attention: false,
        icons: Icons {
            normal: pixmap(ICON),
            attention: pixmap(ICON_ATTENTION),
        },
        state: state.clone(),
        rt: tokio::runtime::Handle::current(),
    };
    let handle = match icon.assume_sni_available(true).spawn().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!("no tray icon: {e}");
            return;
        }
    };
    loop {
        let statuses = state.agent.engine().snapshot();
        let url = state.endpoint_lines().ok().map(|(u, _)| u);
        let model = tray_model(&statuses, url.as_deref(), Utc::now());
        let attention = needs_attention(&statuses);
        if handle
            .update(|t| {
                t.model = model;
                t.attention = attention;
            })
            .await
            .is_none()
        {
            return; // the service ended (D-Bus went away)
        }
        let next = next_label_change(&statuses, Utc::now());
        let label_due = async {
            match next.and_then(|t| (t - Utc::now()).to_std().ok()) {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = state.tray_wanted.notified() => {
                // A burst of events makes one update.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            () = label_due => {}
        }
    }
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
