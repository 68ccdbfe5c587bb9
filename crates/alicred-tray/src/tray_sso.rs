//! The sign-in part of the tray menu: one submenu per CloudSSO session
//! ("corp — signed in, 7 h 12 min left" / "corp — sign in needed") with its
//! accounts and their access configurations (check items: a click makes
//! that profile active, as any profile), a "Sign in…" entry per session, and
//! "Sign in NAME…" for OAuth profiles that need it. Pure: built from the
//! statuses' `sign_in` views, which the core decides.

use crate::tray::{PROFILE_PREFIX, TrayItem, state_label, time_left};
use alicred_core::engine::ProfileStatus;
use alicred_core::usecases::SignInTarget;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

pub const SIGN_IN_SESSION_PREFIX: &str = "sign-in-session:";
pub const SIGN_IN_PROFILE_PREFIX: &str = "sign-in-profile:";

/// One CloudSSO session as the menu shows it.
struct Session<'a> {
    signed_in: bool,
    expires_at: Option<DateTime<Utc>>,
    /// account label → its profiles (access configurations).
    accounts: BTreeMap<String, Vec<&'a ProfileStatus>>,
}

/// The sessions' submenus, and the profiles they list (not listed again).
pub fn session_menus(
    statuses: &[ProfileStatus],
    now: DateTime<Utc>,
) -> (Vec<TrayItem>, HashSet<String>) {
    let mut sessions: BTreeMap<&str, Session> = BTreeMap::new();
    let mut covered = HashSet::new();
    for p in statuses {
        let Some(v) = &p.sign_in else { continue };
        let Some(name) = v.session.as_deref() else {
            continue;
        };
        covered.insert(p.name.clone());
        let s = sessions.entry(name).or_insert(Session {
            signed_in: false,
            expires_at: None,
            accounts: BTreeMap::new(),
        });
        // Profiles of a session share one sign-in: signed in when any of
        // them is (one refused access configuration is not the session's).
        s.signed_in |= v.signed_in;
        s.expires_at = s.expires_at.max(v.expires_at);
        let account = v
            .account_name
            .clone()
            .or_else(|| v.account_id.clone())
            .unwrap_or_else(|| "?".into());
        s.accounts.entry(account).or_default().push(p);
    }
    let items = sessions
        .into_iter()
        .map(|(name, s)| session_menu(name, &s, now))
        .collect();
    (items, covered)
}

fn session_menu(name: &str, s: &Session, now: DateTime<Utc>) -> TrayItem {
    let label = match (s.signed_in, s.expires_at) {
        (true, Some(e)) => format!("{name} — signed in, {} left", time_left(e - now)),
        (true, None) => format!("{name} — signed in"),
        (false, _) => format!("{name} — sign in needed"),
    };
    let mut items = vec![
        TrayItem::SignIn {
            id: format!("{SIGN_IN_SESSION_PREFIX}{name}"),
            label: if s.signed_in {
                "Sign in again…".into()
            } else {
                "Sign in…".into()
            },
        },
        TrayItem::Separator,
    ];
    for (account, profiles) in &s.accounts {
        let active = profiles.iter().any(|p| p.active);
        let configs = profiles
            .iter()
            .map(|p| {
                let config = p
                    .sign_in
                    .as_ref()
                    .and_then(|v| v.access_config_name.clone().or(v.access_config_id.clone()))
                    .unwrap_or_else(|| p.name.clone());
                TrayItem::Profile {
                    id: format!("{PROFILE_PREFIX}{}", p.name),
                    label: format!("{config} — {}", state_label(&p.state, now)),
                    active: p.active,
                }
            })
            .collect();
        items.push(TrayItem::Submenu {
            label: if active {
                format!("{account} (active)")
            } else {
                account.clone()
            },
            items: configs,
        });
    }
    TrayItem::Submenu { label, items }
}

/// "Sign in NAME…" for each profile that needs a sign-in of its own (OAuth):
/// one outside any CloudSSO session (those sign in per session, above).
pub fn oauth_sign_ins(statuses: &[ProfileStatus]) -> Vec<TrayItem> {
    statuses
        .iter()
        .filter(|p| {
            p.capabilities.needs_sign_in && p.sign_in.as_ref().is_some_and(|v| v.session.is_none())
        })
        .map(|p| TrayItem::SignIn {
            id: format!("{SIGN_IN_PROFILE_PREFIX}{}", p.name),
            label: format!("Sign in {}…", p.name),
        })
        .collect()
}

/// The sign-in a menu id asks for, if it is a sign-in entry.
pub fn sign_in_target(id: &str) -> Option<Result<SignInTarget, String>> {
    if let Some(s) = id.strip_prefix(SIGN_IN_SESSION_PREFIX) {
        return Some(s.parse().map(SignInTarget::Session));
    }
    id.strip_prefix(SIGN_IN_PROFILE_PREFIX)
        .map(|p| p.parse().map(SignInTarget::Profile))
}

/// When a session's "N left" label changes next, or it turns to "sign in
/// needed" (for the tray's rebuild timer).
pub fn sign_in_ends(statuses: &[ProfileStatus]) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    statuses
        .iter()
        .filter_map(|p| p.sign_in.as_ref().and_then(|v| v.expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::DesktopAgent;
    use crate::signin::{SignInEnded, SignInShell};
    use crate::state::AppState;
    use crate::tray::{TrayOutcome, tray_action, tray_model};
    use alicred_core::engine::{Capabilities, ProfileState, SignInView};
    use alicred_core::paths::Paths;
    use alicred_core::profile::ProfileType;
    use alicred_core::service::Alicred;
    use alicred_core::signin::tokens::SsoSessionToken;
    use alicred_core::store::secrets::{MemoryStore, SecretKey};
    use alicred_core::usecases::SignInPrompt;
    use chrono::Duration;
    use std::sync::{Arc, Mutex};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("t")
    }

    fn sso(
        name: &str,
        account: &str,
        config: &str,
        active: bool,
        end: DateTime<Utc>,
    ) -> ProfileStatus {
        let state = ProfileState::Fresh {
            expires: Some(t0() + Duration::minutes(42)),
        };
        let view = SignInView {
            kind: ProfileType::CloudSso,
            session: Some("corp".into()),
            account_id: Some("1111222233334444".into()),
            account_name: Some(account.into()),
            access_config_id: Some(format!("ac-{config}")),
            access_config_name: Some(config.into()),
            expires_at: Some(end),
            signed_in: end > t0(),
        };
        status(name, ProfileType::CloudSso, active, state, Some(view))
    }

    fn status(
        name: &str,
        ty: ProfileType,
        active: bool,
        state: ProfileState,
        sign_in: Option<SignInView>,
    ) -> ProfileStatus {
        ProfileStatus {
            name: name.into(),
            r#type: ty,
            active,
            capabilities: Capabilities::with_sign_in(ty, &state, sign_in.as_ref()),
            sign_in,
            role_arn: None,
            next_rotation: None,
            state,
            issued_at: None,
            expires_at: None,
            refresh_at: None,
            last_refresh: None,
            last_error: None,
            access_key_id_hint: None,
            chain: vec![],
            handouts: 0,
            consumers: vec![],
        }
    }

    fn check(name: &str, label: &str, active: bool) -> TrayItem {
        TrayItem::Profile {
            id: format!("profile:{name}"),
            label: label.into(),
            active,
        }
    }

    fn statuses(end: DateTime<Utc>) -> Vec<ProfileStatus> {
        vec![
            status(
                "base",
                ProfileType::AccessKey,
                false,
                ProfileState::Fresh { expires: None },
                None,
            ),
            sso("corp-Prod-Admin", "Prod", "Admin", true, end),
            sso("corp-Prod-ReadOnly", "Prod", "ReadOnly", false, end),
            sso("corp-Dev-Developer", "Dev", "Developer", false, end),
        ]
    }

    #[test]
    fn a_signed_in_session_lists_accounts_and_access_configurations() {
        let end = t0() + Duration::hours(7) + Duration::minutes(12);
        let model = tray_model(&statuses(end), None, t0());
        // Non-SSO profiles stay listed as before; SSO profiles only in their session.
        assert_eq!(
            model[0],
            TrayItem::Profile {
                id: "profile:base".into(),
                label: "base — fresh".into(),
                active: false
            }
        );
        let fresh = "fresh, 42 min left";
        assert_eq!(
            model[1],
            TrayItem::Submenu {
                label: "corp — signed in, 7 h 12 min left".into(),
                items: vec![
                    TrayItem::SignIn {
                        id: "sign-in-session:corp".into(),
                        label: "Sign in again…".into()
                    },
                    TrayItem::Separator,
                    TrayItem::Submenu {
                        label: "Dev".into(),
                        items: vec![check(
                            "corp-Dev-Developer",
                            &format!("Developer — {fresh}"),
                            false
                        )]
                    },
                    TrayItem::Submenu {
                        label: "Prod (active)".into(),
                        items: vec![
                            check("corp-Prod-Admin", &format!("Admin — {fresh}"), true),
                            check("corp-Prod-ReadOnly", &format!("ReadOnly — {fresh}"), false),
                        ]
                    },
                ]
            }
        );
        assert_eq!(
            model[2],
            TrayItem::Separator,
            "nothing else: no OAuth sign-in due"
        );
        // The menu wakes when the session's "left" label changes.
        assert!(crate::tray::next_label_change(&statuses(end), t0()).is_some());
    }

    #[test]
    fn an_ended_session_and_an_oauth_profile_ask_for_a_sign_in() {
        let mut st = statuses(t0() - Duration::minutes(1));
        let refused = ProfileState::NeedsUser {
            why: "not signed in".into(),
        };
        let oauth_view = SignInView {
            kind: ProfileType::Oauth,
            session: None,
            account_id: None,
            account_name: None,
            access_config_id: None,
            access_config_name: None,
            expires_at: None,
            signed_in: false,
        };
        st.push(status(
            "me",
            ProfileType::Oauth,
            false,
            refused,
            Some(oauth_view),
        ));
        let model = tray_model(&st, None, t0());
        let TrayItem::Submenu { label, items } = &model[2] else {
            panic!("{model:?}")
        };
        assert_eq!(label, "corp — sign in needed");
        assert_eq!(
            items[0],
            TrayItem::SignIn {
                id: "sign-in-session:corp".into(),
                label: "Sign in…".into()
            }
        );
        assert!(model.contains(&TrayItem::SignIn {
            id: "sign-in-profile:me".into(),
            label: "Sign in me…".into()
        }));
        assert_eq!(
            sign_in_target("sign-in-profile:me"),
            Some(Ok(SignInTarget::Profile("me".parse().expect("name"))))
        );
        assert!(matches!(
            sign_in_target("sign-in-session:bad name!"),
            Some(Err(_))
        ));
        assert_eq!(sign_in_target("profile:me"), None);
    }

    /// What the app would show: the prompt and the end (events in the app).
    #[derive(Default)]
    struct Shown {
        prompts: Mutex<Vec<SignInPrompt>>,
        ended: Mutex<Vec<SignInEnded>>,
    }

    impl SignInShell for Shown {
        fn prompt(&self, p: &SignInPrompt) {
            self.prompts.lock().expect("lock").push(p.clone());
        }
        fn ended(&self, e: &SignInEnded) {
            self.ended.lock().expect("lock").push(e.clone());
        }
    }

    /// The demo (its emulator approves sign-ins by itself) under a real agent.
    async fn demo_state(dir: &std::path::Path) -> (Arc<AppState>, alicred_demo::DemoCloud) {
        let alicred = Alicred::with_store(Paths::new(dir), Arc::new(MemoryStore::default()));
        let (cloud, _) = alicred_demo::start(&alicred, ([127, 0, 0, 1], 0).into(), None)
            .await
            .expect("demo");
        let agent = DesktopAgent::start_on(&alicred, Some(([127, 0, 0, 1], 0).into()))
            .await
            .expect("agent");
        (Arc::new(AppState::new(alicred, agent)), cloud)
    }

    fn demo_token(state: &AppState) -> SsoSessionToken {
        state
            .alicred
            .secrets()
            .get_json(&SecretKey::SsoSession("demo".parse().expect("name")))
            .expect("keyring")
            .expect("the demo is signed in")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clicking_an_access_configuration_and_sign_in_against_the_demo() {
        let dir = tempfile::tempdir().expect("tmp");
        let (state, cloud) = demo_state(dir.path()).await;
        let model = tray_model(&state.agent.engine().snapshot(), None, Utc::now());
        let session = model
            .iter()
            .find_map(|i| match i {
                TrayItem::Submenu { label, items } if label.starts_with("demo — signed in") => {
                    Some(items)
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no demo session in {model:?}"));
        assert_eq!(
            session.len(),
            4,
            "sign in, separator, two accounts: {session:?}"
        );

        // Clicking an access configuration makes its profile active (the profile path).
        let id = "profile:demo-Sandbox-Developer";
        assert_eq!(tray_action(id, &state), TrayOutcome::Changed);
        let snap = state.agent.engine().snapshot();
        assert!(
            snap.iter()
                .any(|p| p.name == "demo-Sandbox-Developer" && p.active)
        );
        let model = tray_model(&snap, None, Utc::now());
        assert!(
            format!("{model:?}").contains("Sandbox (active)"),
            "{model:?}"
        );

        // "Sign in again…" signs the session in anew, through the app's sign-in path.
        let before = demo_token(&state);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let TrayOutcome::SignIn(target) = tray_action("sign-in-session:demo", &state) else {
            panic!("not a sign-in")
        };
        let shown = Arc::new(Shown::default());
        let done = crate::signin::run(state.clone(), target, shown.clone())
            .await
            .expect("signed in");
        let after = demo_token(&state);
        assert!(
            after.expires_at > before.expires_at,
            "{:?} -> {:?}",
            before.expires_at,
            after.expires_at
        );
        assert_ne!(
            after.access_token.expose(),
            before.access_token.expose(),
            "a new token"
        );
        assert_eq!(done.expires_at, Some(after.expires_at));
        assert_eq!(done.profiles.len(), 3, "{done:?}");
        let prompts = shown.prompts.lock().expect("lock").clone();
        assert_eq!(prompts.len(), 1);
        assert_eq!(prompts[0].session.as_deref(), Some("demo"));
        assert!(
            prompts[0]
                .user_code
                .as_deref()
                .is_some_and(|c| !c.is_empty())
        );
        assert_eq!(
            *shown.ended.lock().expect("lock"),
            vec![SignInEnded {
                ok: true,
                message: None,
                expires_at: done.expires_at,
                profiles: done.profiles.clone()
            }]
        );
        assert_eq!(crate::signin::current_prompt(&state), None, "cleared");
        // The status shows the new end at once (the engine was reloaded).
        let s = state.agent.engine().snapshot();
        let v = s
            .iter()
            .find(|p| p.name == "demo-Sandbox-Developer")
            .and_then(|p| p.sign_in.clone())
            .expect("view");
        assert_eq!(v.expires_at, done.expires_at);
        state.agent.shutdown().await;
        cloud.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_sign_in_at_a_time_its_prompt_kept_and_cancel_ends_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let (state, cloud) = demo_state(dir.path()).await;
        // The user has not approved yet.
        cloud.sso_settings(&alicred_fakecloud::SsoSettings {
            auto_approve: Some(false),
            ..Default::default()
        });
        let shown = Arc::new(Shown::default());
        let target = SignInTarget::Profile("demo-Production-ReadOnly".parse().expect("name"));
        let running = tokio::spawn(crate::signin::run(state.clone(), target, shown.clone()));
        let t = std::time::Instant::now();
        let prompt = loop {
            if let Some(p) = crate::signin::current_prompt(&state) {
                break p;
            }
            assert!(
                t.elapsed() < std::time::Duration::from_secs(10),
                "no prompt"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(prompt.profile.as_deref(), Some("demo-Production-ReadOnly"));
        assert_eq!(prompt.session.as_deref(), Some("demo"));
        assert_eq!(
            cloud.sso_pending(),
            vec![prompt.user_code.clone().expect("code")]
        );
        let second = crate::signin::run(
            state.clone(),
            SignInTarget::Session("demo".parse().expect("name")),
            shown.clone(),
        )
        .await
        .expect_err("one at a time");
        assert!(second.message.contains("already"), "{}", second.message);
        assert!(crate::signin::cancel(&state));
        let err = running.await.expect("task").expect_err("cancelled");
        assert_eq!(err.message, crate::signin::CANCELLED);
        let ended = shown.ended.lock().expect("lock").clone();
        // The refused second call ended nothing (the first still waited).
        assert_eq!(ended.len(), 1, "{ended:?}");
        assert_eq!(
            ended[0],
            SignInEnded {
                ok: false,
                message: Some("sign-in cancelled".into()),
                expires_at: None,
                profiles: vec![]
            }
        );
        assert_eq!(crate::signin::current_prompt(&state), None);
        assert!(!crate::signin::cancel(&state), "nothing left to cancel");
        state.agent.shutdown().await;
        cloud.shutdown().await;
    }
}
