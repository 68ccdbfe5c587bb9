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

impl UseCases {
    /// `alicred export NAME --format F`: the text to print.
    pub async fn export(
        &self,
        name: &ProfileName,
        format: ExportFormat,
    ) -> Result<Sensitive, UseCaseError> {
        let creds = self.resolve(name).await?;
        Ok(render(format, &creds, self.ctx.clock.now()))
    }

    /// `alicred env [NAME] --shell S`: the lines to `eval`, with the running
    /// agent's URL for the profile when one runs.
    pub async fn env(
        &self,
        name: Option<&ProfileName>,
        shell: Shell,
    ) -> Result<Vec<Sensitive>, UseCaseError> {
        let name = self.app.resolve_name(name)?;
        let creds = self.resolve(&name).await?;
        let uri = self.running_url(Some(&name))?;
        let vars = env_vars::for_tool(Some(&creds), uri.as_ref().map(Sensitive::expose));
        Ok(env_lines(shell, &vars)
            .into_iter()
            .map(Sensitive::new)
            .collect())
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
