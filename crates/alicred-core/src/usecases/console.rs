//! Opening the Alibaba Cloud console as a profile (docs/console.md).
//!
//! Console federation turns STS credentials into a sign-in token that works
//! once, for 30 s; the Login URL that carries it is a bearer secret. So the
//! browser never gets it on its command line (`/proc/*/cmdline` is readable
//! by every local user): it gets a one-shot local URL (127.0.0.1, the
//! user's own connections only, one use, about 60 s) that redirects to a
//! Login URL made when the browser arrives.
//!
//! The core decides here which profiles can ([`ProfileType::opens_console`],
//! surfaced as `capabilities.console`), where to go, which federation
//! endpoint to ask and which browser to start; shells only show the outcome.

use super::{UseCaseError, UseCases};
use crate::aliyun::federation;
use crate::profile::{OauthSite, Profile, ProfileKind, ProfileName, ProfileType};
use crate::sensitive::Sensitive;
use crate::store::config::ProfilesFile;
use url::Url;

/// The environment variable naming the user's browser (a command; the URL is
/// its last argument).
pub const BROWSER_ENV: &str = "BROWSER";

/// What a shell asks for.
#[derive(Clone, Debug, Default)]
pub struct ConsoleRequest {
    pub profile: Option<ProfileName>,
    /// A console address; default: the console home of the profile's site.
    pub destination: Option<String>,
    /// Overrides `[settings] federation_endpoint` and the site's default.
    pub federation_endpoint: Option<String>,
    /// A browser command; overrides the profile's `console_browser` and `$BROWSER`.
    pub browser: Option<String>,
}

/// Which browser opens the console, and why that one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleBrowser {
    /// Program and arguments; the URL goes last.
    Command {
        argv: Vec<String>,
        from: BrowserSource,
    },
    /// The desktop's opener (xdg-open; `open` on macOS).
    Desktop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserSource {
    /// The shell's own choice (`--browser`).
    Asked,
    /// The profile's `console_browser` setting.
    Profile,
    /// `$BROWSER`.
    Environment,
}

/// Everything decided before any network call: nothing secret.
#[derive(Clone, Debug)]
pub struct ConsolePlan {
    pub profile: ProfileName,
    pub ty: ProfileType,
    /// The federation endpoint (`…/federation`).
    pub endpoint: Url,
    pub destination: Url,
    /// Where the console sends the user when its session ends.
    pub come_back: Url,
    pub browser: ConsoleBrowser,
}

impl UseCases {
    /// Decide how to open the console for `req`: refuses long-term keys
    /// (naming the remedy), a destination that is not a console address and
    /// a browser command that does not parse. Changes nothing.
    pub async fn console_plan(&self, req: &ConsoleRequest) -> Result<ConsolePlan, UseCaseError> {
        let file = self.profiles().await?;
        let name = match &req.profile {
            Some(n) => n.clone(),
            None => {
                let app = self.app.clone();
                super::blocking(move || Ok(app.resolve_name(None)?)).await?
            }
        };
        let profile = file
            .get(&name)
            .map_err(crate::service::ServiceError::from)?;
        let ty = profile.profile_type();
        if !ty.opens_console() {
            return Err(UseCaseError::NoConsole { profile: name, ty });
        }
        let endpoint = federation_endpoint(req, &file, profile)?;
        let come_back = federation::console_home(&endpoint);
        let destination = match &req.destination {
            None => come_back.clone(),
            Some(d) => {
                let u = Url::parse(d.trim())
                    .ok()
                    .filter(|u| federation::is_console_address(u, &endpoint));
                u.ok_or_else(|| UseCaseError::NotConsoleAddress { value: d.clone() })?
            }
        };
        let browser = choose_browser(req.browser.as_deref(), profile, &*self.ctx.env)?;
        Ok(ConsolePlan {
            profile: name,
            ty,
            endpoint,
            destination,
            come_back,
            browser,
        })
    }

    /// A Login URL for `plan`, made now: fresh STS credentials of the
    /// profile, `GetSigninToken`, and the URL around the token. A secret
    /// that works once, for 30 s: hand it to the browser, never to a log or
    /// a command line.
    pub async fn console_login_url(&self, plan: &ConsolePlan) -> Result<Sensitive, UseCaseError> {
        let creds = self.credentials(&plan.profile).await?;
        if creds
            .security_token
            .as_ref()
            .is_none_or(Sensitive::is_empty)
        {
            return Err(UseCaseError::NotSts {
                profile: plan.profile.clone(),
                ty: plan.ty,
            });
        }
        let token = federation::get_signin_token(&self.ctx, &plan.endpoint, &creds)
            .await
            .map_err(|cause| UseCaseError::Provider {
                profile: plan.profile.clone(),
                ty: plan.ty,
                cause,
            })?;
        Ok(federation::login_url(
            &plan.endpoint,
            &token,
            &plan.destination,
            &plan.come_back,
        ))
    }
}

/// `--federation-endpoint` > `[settings] federation_endpoint` > the site of
/// the profile's chain (international for an intl OAuth root) > China.
fn federation_endpoint(
    req: &ConsoleRequest,
    file: &ProfilesFile,
    profile: &Profile,
) -> Result<Url, UseCaseError> {
    if let Some(v) = &req.federation_endpoint {
        return parse_endpoint(v);
    }
    if let Some(u) = &file.settings.federation_endpoint {
        return parse_endpoint(u.as_str());
    }
    let intl = matches!(
        &root_of(file, profile).kind,
        ProfileKind::Oauth(o) if o.site == OauthSite::Intl
    );
    let s = if intl {
        federation::INTL_ENDPOINT
    } else {
        federation::CN_ENDPOINT
    };
    Ok(Url::parse(s).expect("constant URL"))
}

fn parse_endpoint(v: &str) -> Result<Url, UseCaseError> {
    let u = Url::parse(v.trim()).map_err(|e| UseCaseError::BadUrl {
        value: v.to_string(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(UseCaseError::BadUrl {
            value: v.to_string(),
            reason: "the federation endpoint is an http(s) URL".into(),
        });
    }
    Ok(u)
}

/// The end of a profile's source chain (a role chain's first profile).
fn root_of<'a>(file: &'a ProfilesFile, mut p: &'a Profile) -> &'a Profile {
    for _ in 0..crate::providers::MAX_CHAIN_DEPTH {
        match p.source().and_then(|s| file.profiles.get(s)) {
            Some(next) => p = next,
            None => break,
        }
    }
    p
}

/// `asked` > the profile's `console_browser` > `$BROWSER` > the desktop's
/// opener.
fn choose_browser(
    asked: Option<&str>,
    profile: &Profile,
    env: &crate::providers::EnvFn,
) -> Result<ConsoleBrowser, UseCaseError> {
    let from_env = env(BROWSER_ENV);
    let pick = [
        (asked.map(str::to_string), BrowserSource::Asked),
        (profile.console_browser.clone(), BrowserSource::Profile),
        (from_env, BrowserSource::Environment),
    ]
    .into_iter()
    .find_map(|(v, from)| v.filter(|s| !s.trim().is_empty()).map(|v| (v, from)));
    let Some((cmd, from)) = pick else {
        return Ok(ConsoleBrowser::Desktop);
    };
    let argv = crate::shell_words::shell_words_split(&cmd)
        .ok()
        .filter(|a| !a.is_empty())
        .ok_or(UseCaseError::BadBrowser { from })?;
    Ok(ConsoleBrowser::Command { argv, from })
}

/// Starts the browser on `url` (only ever a local one-shot URL: it may be
/// seen on the command line). A failure means the user opens it by hand.
pub fn launch(browser: &ConsoleBrowser, url: &Url) -> Result<(), String> {
    let (program, args): (String, Vec<String>) = match browser {
        ConsoleBrowser::Command { argv, .. } => {
            let (p, rest) = argv.split_first().ok_or("the browser command is empty")?;
            (p.clone(), rest.to_vec())
        }
        ConsoleBrowser::Desktop => {
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else {
                "xdg-open"
            };
            (opener.to_string(), Vec::new())
        }
    };
    let mut child = std::process::Command::new(&program)
        .args(&args)
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start the browser ({program}: {e})"))?;
    // Reap it, so a long-running app leaves no zombie behind.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Endpoints, StsTokenProfile};

    fn profile(console_browser: Option<&str>) -> Profile {
        let mut p = Profile::new(
            "p".parse().expect("name"),
            ProfileKind::StsToken(StsTokenProfile {
                expiration: None,
                endpoints: Endpoints::default(),
            }),
        );
        p.console_browser = console_browser.map(str::to_string);
        p
    }

    #[test]
    fn the_browser_is_asked_then_profile_then_environment_then_desktop() {
        let env_set = |k: &str| (k == BROWSER_ENV).then(|| "envbrowser --new".to_string());
        let env_none = |_: &str| None;
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            choose_browser(
                Some("asked -x"),
                &profile(Some("firefox -P work")),
                &env_set
            )
            .expect("ok"),
            ConsoleBrowser::Command {
                argv: argv(&["asked", "-x"]),
                from: BrowserSource::Asked
            }
        );
        assert_eq!(
            choose_browser(None, &profile(Some("firefox -P 'my work'")), &env_set).expect("ok"),
            ConsoleBrowser::Command {
                argv: argv(&["firefox", "-P", "my work"]),
                from: BrowserSource::Profile
            }
        );
        assert_eq!(
            choose_browser(None, &profile(None), &env_set).expect("ok"),
            ConsoleBrowser::Command {
                argv: argv(&["envbrowser", "--new"]),
                from: BrowserSource::Environment
            }
        );
        assert_eq!(
            choose_browser(None, &profile(None), &env_none).expect("ok"),
            ConsoleBrowser::Desktop
        );
        assert!(matches!(
            choose_browser(Some("firefox 'unterminated"), &profile(None), &env_none),
            Err(UseCaseError::BadBrowser {
                from: BrowserSource::Asked
            })
        ));
    }

    #[test]
    fn long_term_keys_cannot_open_the_console() {
        for t in ProfileType::ALL {
            let no_sts = matches!(
                t,
                ProfileType::AccessKey | ProfileType::KmsSecret | ProfileType::BearerToken
            );
            assert_eq!(t.opens_console(), !no_sts, "{t}");
        }
    }
}
