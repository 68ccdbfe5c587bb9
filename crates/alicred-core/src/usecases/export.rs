//! `alicred env`, `alicred export` and the dashboard's "Copy export": what a
//! tool gets for a profile, in the format it reads. The variables come from
//! [`crate::env_vars::for_tool`], the credentials from
//! [`UseCases::resolve`] (a running agent first), so every shell and every
//! command sets the same things.

use super::{UseCaseError, UseCases};
use crate::credentials::Credentials;
use crate::env_vars::{self, posix_quote};
use crate::profile::ProfileName;
use crate::sensitive::Sensitive;
use chrono::{DateTime, Utc};

/// The shells `alicred env` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// What `alicred export --format` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The aliyun CLI's External-mode JSON (docs/aliyun-cli-link.md), read
    /// by the CLI and the SDKs from a linked profile's `process_command`.
    AliyunExternal,
    /// `export` lines for a POSIX shell.
    Env,
    /// The credentials-URI JSON the endpoint serves.
    Json,
}

/// One line per variable that sets it in `shell`.
pub fn env_lines(shell: Shell, vars: &[(&str, String)]) -> Vec<String> {
    vars.iter()
        .map(|(k, v)| match shell {
            Shell::Bash | Shell::Zsh => format!("export {k}={}", posix_quote(v)),
            // fish reads `\\` and `\'` inside single quotes; nothing else.
            Shell::Fish => format!(
                "set -gx {k} '{}'",
                v.replace('\\', r"\\").replace('\'', r"\'")
            ),
            Shell::Powershell => format!("$Env:{k} = '{}'", v.replace('\'', "''")),
        })
        .collect()
}

/// `creds` in `format`, as the text to print (it holds the secret).
pub fn render(format: ExportFormat, creds: &Credentials, now: DateTime<Utc>) -> Sensitive {
    match format {
        // Always with an expiration (docs/link-aliyun-cli.md).
        ExportFormat::AliyunExternal => pretty(&crate::link::external::output(creds, now)),
        ExportFormat::Json => pretty(&creds.served_at(now)),
        ExportFormat::Env => Sensitive::new(
            env_lines(Shell::Bash, &env_vars::for_tool(Some(creds), None)).join("\n"),
        ),
    }
}

/// Pretty JSON (these values always serialise: string keys only).
fn pretty<T: serde::Serialize>(v: &T) -> Sensitive {
    Sensitive::new(serde_json::to_string_pretty(v).unwrap_or_default())
}

/// One POSIX shell line that points a tool at the endpoint: the credentials
/// URI plus the switches that keep the SDKs from probing ECS metadata or
/// preferring `~/.aliyun/config.json` (what the dashboard and tray copy).
pub fn export_line(endpoint_url: &str) -> String {
    let vars = env_vars::for_tool(None, Some(endpoint_url));
    let assignments: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("{k}={}", posix_quote(v)))
        .collect();
    format!("export {}", assignments.join(" "))
}

/// What `alicred export` prints, and what went wrong on the way that did
/// not stop it.
#[derive(Debug)]
pub struct Exported {
    pub text: Sensitive,
    /// Say these on stderr (e.g. a linked config file that could not be
    /// cleaned of what an SDK wrote back).
    pub warnings: Vec<String>,
}

impl UseCases {
    /// `alicred export NAME --format F`: the text to print. For the aliyun
    /// CLI's External format, what the SDKs wrote back from the last output
    /// is taken out of linked config files first (docs/link-aliyun-cli.md).
    pub async fn export(
        &self,
        name: &ProfileName,
        format: ExportFormat,
        on_prompt: impl Fn(&super::SignInPrompt) + Send + Sync,
    ) -> Result<Exported, UseCaseError> {
        self.profiles().await?.get(name)?;
        let mut warnings = Vec::new();
        if format == ExportFormat::AliyunExternal
            && let Err(e) = crate::link::aliyun_cli::strip_write_back(self.app.paths())
        {
            warnings.push(e.to_string());
        }
        let creds = self.resolve_for_tool(name, on_prompt).await?;
        Ok(Exported {
            text: render(format, &creds, self.ctx.clock.now()),
            warnings,
        })
    }

    /// `alicred env [NAME] --shell S`: the lines to `eval` ([`Self::tool_env`]).
    pub async fn env(
        &self,
        name: Option<&ProfileName>,
        shell: Shell,
        on_prompt: impl Fn(&super::SignInPrompt) + Send + Sync,
    ) -> Result<Vec<Sensitive>, UseCaseError> {
        let name = self.app.resolve_name(name)?;
        let vars = self.tool_env(&name, false, on_prompt).await?;
        Ok(env_lines(shell, &vars)
            .into_iter()
            .map(Sensitive::new)
            .collect())
    }

    /// The variables a tool gets for `name`, the same for `env` and `exec`:
    /// a bearer-token profile's token; else the profile's credentials (a
    /// running agent first; none with `uri_only`) and the running agent's
    /// URL for it. `uri_only` needs a running agent.
    pub async fn tool_env(
        &self,
        name: &ProfileName,
        uri_only: bool,
        on_prompt: impl Fn(&super::SignInPrompt) + Send + Sync,
    ) -> Result<Vec<(&'static str, String)>, UseCaseError> {
        let profile = self.profiles().await?.get(name)?.clone();
        if let Some(vars) = crate::providers::bearer_token::tool_env_of(&self.ctx, &profile).await {
            if uri_only {
                return Err(UseCaseError::NotCredentials(name.clone()));
            }
            return vars.map_err(|cause| UseCaseError::Provider {
                profile: name.clone(),
                ty: profile.profile_type(),
                cause,
            });
        }
        let uri = self.running_url(Some(name))?;
        if uri_only && uri.is_none() {
            return Err(UseCaseError::NoAgent);
        }
        let creds = if uri_only {
            None
        } else {
            Some(self.resolve_for_tool(name, on_prompt).await?)
        };
        Ok(env_vars::for_tool(
            creds.as_ref(),
            uri.as_ref().map(Sensitive::expose),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_line_sets_what_alicred_env_sets() {
        let url = "http://127.0.0.1:47911/tok/v1/credentials";
        let line = export_line(url);
        assert_eq!(
            line,
            format!(
                "export ALIBABA_CLOUD_CREDENTIALS_URI={url} ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"
            )
        );
        for (k, _) in env_vars::for_tool(None, Some(url)) {
            assert!(line.contains(&format!("{k}=")), "{k} missing from {line}");
        }
    }

    #[test]
    fn odd_characters_are_quoted() {
        assert_eq!(
            export_line("http://x/a b'c"),
            "export ALIBABA_CLOUD_CREDENTIALS_URI='http://x/a b'\\''c' ALIBABA_CLOUD_ECS_METADATA_DISABLED=true ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"
        );
    }

    #[test]
    fn every_shell_reads_back_the_value() {
        let v = vec![("K", r"it's a \secret".to_string())];
        assert_eq!(
            env_lines(Shell::Bash, &v),
            [r"export K='it'\''s a \secret'"]
        );
        assert_eq!(
            env_lines(Shell::Fish, &v),
            [r"set -gx K 'it\'s a \\secret'"]
        );
        assert_eq!(
            env_lines(Shell::Powershell, &v),
            [r"$Env:K = 'it''s a \secret'"]
        );
    }

    #[test]
    fn the_external_json_names_its_mode() {
        let now = Utc::now();
        let ak = Credentials::long_term("LTAI", Sensitive::new("s"), now);
        let text = render(ExportFormat::AliyunExternal, &ak, now);
        let v: serde_json::Value = serde_json::from_str(text.expose()).expect("json");
        assert_eq!(v["mode"], "AK");
        assert_eq!(v["access_key_secret"], "s");
    }
}
