//! The tray: shows the core's menu model ([`alicred_core::api::menu`]) as a
//! StatusNotifierItem over D-Bus (ksni: no GTK), flags the icon when
//! something needs attention, and sends a clicked item's request to the API.

use alicred_core::api::menu::{MenuItem, next_label_change};
use alicred_core::api::{Api, Request};
use chrono::Utc;
use std::time::Duration;

pub const TRAY_ID: &str = "alicred";
pub const ICON: &[u8] = include_bytes!("../icons/tray.png");
pub const ICON_ATTENTION: &[u8] = include_bytes!("../icons/tray-attention.png");

/// Carry out a click: its request, through the API like any other; a
/// failure is a notification (nothing else would show it).
fn click(api: &Api, request: Request) {
    let api = api.clone();
    tokio::spawn(async move {
        if let Err(e) = api.call(request).await {
            crate::notify::show_error(&e.message);
        }
    });
}

/// The tray icon as the desktop's StatusNotifierHost sees it: the menu model
/// and whether something needs attention. ksni compares each new menu with
/// the last and sends the host only what changed (a label, say).
pub struct TrayIcon {
    model: Vec<MenuItem>,
    attention: bool,
    icons: Icons,
    api: Api,
    rt: tokio::runtime::Handle,
}

struct Icons {
    normal: Vec<ksni::Icon>,
    attention: Vec<ksni::Icon>,
}

impl TrayIcon {
    fn click(&self, request: Request) {
        let _in_rt = self.rt.enter();
        click(&self.api, request);
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
                "Something needs you: open the menu".into()
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

fn menu_item(item: &MenuItem) -> ksni::MenuItem<TrayIcon> {
    use ksni::menu::{CheckmarkItem, StandardItem, SubMenu};
    let on = |r: &Request| -> Box<dyn Fn(&mut TrayIcon) + Send + Sync> {
        let r = r.clone();
        Box::new(move |t: &mut TrayIcon| t.click(r.clone()))
    };
    match item {
        MenuItem::Check {
            label,
            checked,
            action,
        } => CheckmarkItem {
            label: escape(label),
            checked: *checked,
            activate: on(action),
            ..Default::default()
        }
        .into(),
        MenuItem::Item {
            label,
            enabled,
            action,
        } => StandardItem {
            label: escape(label),
            enabled: *enabled,
            activate: on(action),
            ..Default::default()
        }
        .into(),
        MenuItem::Submenu { label, items } => SubMenu {
            label: escape(label),
            submenu: items.iter().map(menu_item).collect(),
            ..Default::default()
        }
        .into(),
        MenuItem::Separator => ksni::MenuItem::Separator,
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

/// Show the tray and keep it current: on every API event (a burst makes one
/// update) and when a time-left label changes; otherwise it sleeps. Without
/// a tray host (a bare X server, some desktops) the rest of alicred runs on
/// and the icon appears when a host does.
pub async fn run(api: Api) {
    use ksni::TrayMethods as _;
    let mut events = api.subscribe();
    let icon = TrayIcon {
        model: Vec::new(),
        attention: false,
        icons: Icons {
            normal: pixmap(ICON),
            attention: pixmap(ICON_ATTENTION),
        },
        api: api.clone(),
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
        let statuses = api.statuses();
        let model = api.menu(Utc::now());
        let attention = api.needs_attention();
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
            ev = events.recv() => {
                if matches!(ev, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                    return;
                }
                // A burst of events makes one update.
                tokio::time::sleep(Duration::from_millis(200)).await;
                events = events.resubscribe();
            }
            () = label_due => {}
        }
    }
}
