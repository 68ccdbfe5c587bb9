//! The dashboard's test fixtures, made here from the core's own rules so
//! they cannot drift from what the tray agent sends: each profile is read
//! from a profiles file, and its capabilities and sign-in view come from
//! [`Capabilities::with_sign_in`] and [`SignInView::of`], as in
//! [`super::Engine::snapshot`]. Only the engine's runtime facts (state,
//! times, hand-outs) are set by hand, at a fixed `NOW`.
//!
//! `ui/tests/fixtures/profiles.ts` is this test's output; the test fails
//! when the file differs. `UPDATE_UI_FIXTURES=1 cargo test -p alicred-core
//! --lib ui_fixtures` rewrites it.

use super::state::ProfileState;
use super::status::{self, Capabilities, ProfileStatus, SignInView};
use crate::profile::ProfileName;
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Duration, Utc};
use std::path::{Path, PathBuf};

const PROFILES: &str = r#"
version = 1
active = "base"

[[profile]]
name = "base"
type = "access-key"

[[profile]]
name = "dev"
type = "ram-role-arn"
source = "base"
role_arn = "acs:ram::1:role/dev"
session_name = "s"
duration_seconds = 3600

[[profile]]
name = "broken"
type = "credentials-uri"
uri = "http://127.0.0.1:1/uri"

[[profile]]
name = "vault"
type = "kms-secret"
secret_name = "s"
client_key_file = "/home/me/clientKey.json"
client_key_password = { env = "CLIENT_KEY_PASSWORD" }

[[profile]]
name = "demo-oauth"
type = "oauth"

[[profile]]
name = "demo-Production-Administrator"
type = "cloud-sso"
sso_session = "demo"
sign_in_url = "http://127.0.0.1:9/d-demo/login"
account_id = "1234567890123456"
account_name = "Production"
access_config = "ac-demo-admin"
access_config_name = "Administrator"
sign_in_expires = "2026-01-01T20:00:00Z"

[[profile]]
name = "demo-Production-ReadOnly"
type = "cloud-sso"
sso_session = "demo"
sign_in_url = "http://127.0.0.1:9/d-demo/login"
account_id = "1234567890123456"
account_name = "Production"
access_config = "ac-demo-readonly"
access_config_name = "ReadOnly"
sign_in_expires = "2026-01-01T20:00:00Z"

[[profile]]
name = "demo-Sandbox-Developer"
type = "cloud-sso"
sso_session = "demo"
sign_in_url = "http://127.0.0.1:9/d-demo/login"
account_id = "2345678901234567"
account_name = "Sandbox"
access_config = "ac-demo-dev"
access_config_name = "Developer"
sign_in_expires = "2026-01-01T20:00:00Z"
"#;

fn now() -> DateTime<Utc> {
    "2026-01-01T12:00:00Z".parse().expect("rfc3339")
}

/// What the engine knows of a profile at run time; the rest is the core's.
struct Runtime {
    state: ProfileState,
    issued_at: Option<DateTime<Utc>>,
    refresh_at: Option<DateTime<Utc>>,
    last_refresh: Option<DateTime<Utc>>,
    last_error: Option<String>,
    role_arn: Option<String>,
    next_rotation: Option<DateTime<Utc>>,
    handouts: u64,
    /// The sign-in ended (as if the profiles file said so).
    signed_out: bool,
}

impl Runtime {
    fn new(state: ProfileState) -> Self {
        Self {
            state,
            issued_at: None,
            refresh_at: None,
            last_refresh: None,
            last_error: None,
            role_arn: None,
            next_rotation: None,
            handouts: 0,
            signed_out: false,
        }
    }
}

fn status(file: &ProfilesFile, name: &str, rt: Runtime) -> ProfileStatus {
    let name: ProfileName = name.parse().expect("name");
    let mut p = file.profiles.get(&name).expect("in the file").clone();
    if rt.signed_out
        && let crate::profile::ProfileKind::CloudSso(c) = &mut p.kind
    {
        c.sign_in_expires = None;
    }
    let now = now();
    let state = rt.state.as_of(now);
    let refused = status::sign_in_refused(&state, None);
    let sign_in = SignInView::of(&p, refused, now);
    let serving = matches!(
        state,
        ProfileState::Fresh { .. }
            | ProfileState::Refreshing { .. }
            | ProfileState::Degraded { .. }
    );
    let expires = match &state {
        ProfileState::Fresh { expires }
        | ProfileState::Refreshing { expires }
        | ProfileState::Degraded { expires, .. } => *expires,
        _ => None,
    };
    ProfileStatus {
        name: name.to_string(),
        r#type: p.profile_type(),
        active: file.active.as_ref() == Some(&name),
        capabilities: Capabilities::with_sign_in(p.profile_type(), &state, sign_in.as_ref()),
        sign_in,
        role_arn: rt.role_arn,
        next_rotation: rt.next_rotation,
        issued_at: rt.issued_at.filter(|_| serving),
        expires_at: expires.filter(|_| serving),
        refresh_at: rt.refresh_at,
        last_refresh: rt.last_refresh,
        last_error: rt.last_error,
        access_key_id_hint: None,
        chain: status::chain_of(&name, file),
        handouts: rt.handouts,
        consumers: Vec::new(),
        seq: 1,
        state,
    }
}

/// The sets the UI tests use, by name.
fn fixtures() -> Vec<(&'static str, Vec<ProfileStatus>)> {
    let file = ProfilesFile::parse(Path::new("fixtures.toml"), PROFILES).expect("profiles");
    let now = now();
    let at = |secs: i64| now + Duration::seconds(secs);
    let f = |n: &str, rt: Runtime| status(&file, n, rt);
    let base = || {
        let mut rt = Runtime::new(ProfileState::Fresh { expires: None });
        rt.handouts = 2;
        rt.last_refresh = Some(at(-60));
        f("base", rt)
    };
    let table = vec![
        base(),
        f("dev", {
            let mut rt = Runtime::new(ProfileState::Fresh {
                expires: Some(at(125)),
            });
            rt.issued_at = Some(at(-3475));
            rt.refresh_at = Some(at(60));
            rt.role_arn = Some("acs:ram::1:assumed-role/dev/s".into());
            rt
        }),
        f("broken", {
            let mut rt = Runtime::new(ProfileState::Expired {
                error: "HTTP 503 from http://127.0.0.1:1/uri".into(),
            });
            rt.last_error = Some("HTTP 503 from http://127.0.0.1:1/uri".into());
            rt
        }),
    ];
    let vault = f("vault", {
        let mut rt = Runtime::new(ProfileState::Fresh { expires: None });
        rt.next_rotation = Some(at(5 * 86400));
        rt
    });
    let sso = |signed_in: bool| -> Vec<ProfileStatus> {
        let member = |n: &str| {
            let mut rt = if signed_in {
                Runtime::new(ProfileState::Fresh {
                    expires: Some(at(3000)),
                })
            } else {
                Runtime::new(ProfileState::NeedsUser {
                    why: "sign in: alicred sso login demo".into(),
                })
            };
            rt.signed_out = !signed_in;
            f(n, rt)
        };
        let mut admin = member("demo-Production-Administrator");
        // In these sets the first access configuration is the active profile.
        admin.active = true;
        vec![
            admin,
            member("demo-Production-ReadOnly"),
            member("demo-Sandbox-Developer"),
            f(
                "demo-oauth",
                Runtime::new(ProfileState::NeedsUser {
                    why: "sign in again".into(),
                }),
            ),
            {
                let mut b = base();
                b.active = false;
                b
            },
        ]
    };
    vec![
        ("table", table.clone()),
        ("withKms", [table, vec![vault]].concat()),
        ("ssoSignedIn", sso(true)),
        ("ssoSignedOut", sso(false)),
    ]
}

/// The CloudSSO session groups the core makes of the two sign-in sets.
fn groups() -> Vec<(&'static str, Vec<crate::api::sessions::SessionGroup>)> {
    let sets = fixtures();
    let of = |name: &str| {
        let set = &sets.iter().find(|(n, _)| *n == name).expect("set").1;
        crate::api::sessions::group(set, now())
    };
    vec![
        ("groupsSignedIn", of("ssoSignedIn")),
        ("groupsSignedOut", of("ssoSignedOut")),
    ]
}

fn render() -> String {
    let mut out = String::from(
        "// Generated by crates/alicred-core/src/engine/ui_fixtures.rs from the core's own\n\
         // rules; do not edit. UPDATE_UI_FIXTURES=1 cargo test -p alicred-core --lib ui_fixtures\n\
         // rewrites it. Each set is checked against the generated API types (svelte-check).\n\
         import type { ProfileStatus, SessionGroup, TypeFields, TypeGuide } from '../../src/lib/generated/api';\n\
         \n\
         // serde leaves out a field that is None; the generated types say `T | null`.\n\
         // So a key whose type admits null may be absent here, and nothing else may differ.\n\
         type Wire<T> = T extends Array<infer U>\n\
         \x20 ? Wire<U>[]\n\
         \x20 : T extends object\n\
         \x20   ? { [K in keyof T as null extends T[K] ? never : K]: Wire<T[K]> } & { [K in keyof T as null extends T[K] ? K : never]?: Wire<T[K]> }\n\
         \x20   : T;\n\
         const wire = <T>(x: Wire<T>): T => x as T;\n",
    );
    for (name, set) in fixtures() {
        let json = serde_json::to_string_pretty(&set).expect("json");
        out.push_str(&format!(
            "\nexport const {name} = (): ProfileStatus[] => wire<ProfileStatus[]>({json});\n"
        ));
    }
    for (name, set) in groups() {
        let json = serde_json::to_string_pretty(&set).expect("json");
        out.push_str(&format!(
            "\nexport const {name} = (): SessionGroup[] => wire<SessionGroup[]>({json});\n"
        ));
    }
    // The add/edit form and the type guides, as the API sends them.
    let forms = serde_json::to_string_pretty(&crate::api::form::all()).expect("json");
    out.push_str(&format!(
        "\nexport const forms = (): TypeFields[] => wire<TypeFields[]>({forms});\n"
    ));
    let guides: Vec<_> = crate::profile::ProfileType::ALL
        .iter()
        .map(|t| t.guide())
        .collect();
    let guides = serde_json::to_string_pretty(&guides).expect("json");
    out.push_str(&format!(
        "\nexport const guides = (): TypeGuide[] => wire<TypeGuide[]>({guides});\n"
    ));
    out
}

fn target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/tests/fixtures/profiles.ts")
}

#[test]
fn the_ui_fixtures_are_what_the_core_makes() {
    let want = render();
    let path = target();
    if std::env::var_os("UPDATE_UI_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &want).expect("write");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run UPDATE_UI_FIXTURES=1 cargo test -p alicred-core --lib ui_fixtures",
        path.display()
    );
}
