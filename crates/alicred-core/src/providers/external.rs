//! `external`: run a user's command (no shell) and read aliyun CLI External
//! JSON from its stdout (docs/protocols.md, "Files and variables…").

use super::{Provider, ProviderContext, ProviderError};
use crate::aliyun::json_reason;
use crate::credentials::{Credentials, parse_expiration};
use crate::profile::{ExternalProfile, ProfileName};
use crate::sensitive::Sensitive;
use crate::shell_words::shell_words_split;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// More output than any credentials JSON needs; the rest is drained unread.
const OUTPUT_CAP: usize = 1 << 20;

#[derive(Debug)]
pub struct ExternalProvider {
    name: ProfileName,
    argv: Vec<String>,
    timeout: Duration,
    ctx: ProviderContext,
}

#[derive(Deserialize)]
struct Output {
    mode: String,
    access_key_id: Option<String>,
    access_key_secret: Option<Sensitive>,
    sts_token: Option<Sensitive>,
    expiration: Option<String>,
}

async fn read_capped<R: AsyncRead + Unpin>(r: Option<R>) -> Vec<u8> {
    let Some(mut r) = r else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(out.len());
                out.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    out
}

impl ExternalProvider {
    pub fn new(
        name: ProfileName,
        profile: &ExternalProfile,
        ctx: &ProviderContext,
    ) -> Result<Self, ProviderError> {
        let argv = shell_words_split(&profile.command).map_err(|e| {
            ProviderError::Config(format!("profile {name}: cannot split the command: {e}"))
        })?;
        if argv.is_empty() {
            return Err(ProviderError::Config(format!(
                "profile {name}: the command is empty"
            )));
        }
        Ok(Self {
            name,
            argv,
            timeout: Duration::from_secs(u64::from(profile.timeout_seconds.max(1))),
            ctx: ctx.clone(),
        })
    }

    fn program(&self) -> &str {
        self.argv.first().map(String::as_str).unwrap_or("")
    }

    fn service(&self) -> String {
        format!("external command {}", self.program())
    }

    fn parse(&self, stdout: &[u8]) -> Result<Credentials, ProviderError> {
        parse_output(self.program(), stdout, self.ctx.clock.now())
    }
}

/// An external command's stdout (aliyun CLI External JSON) as credentials;
/// `program` names the command in errors. Pure so it can be fuzzed.
pub fn parse_output(
    program: &str,
    stdout: &[u8],
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    let service = || format!("external command {program}");
    let malformed = |reason: String| ProviderError::Malformed {
        service: service(),
        reason,
    };
    let text = String::from_utf8_lossy(stdout);
    let out: Output = serde_json::from_str(text.trim()).map_err(|e| {
        malformed(format!(
            "stdout is not aliyun CLI External JSON: {}",
            json_reason(&e)
        ))
    })?;
    let sts = match out.mode.to_ascii_lowercase().as_str() {
        "ak" => false,
        "ststoken" => true,
        _ => return Err(malformed("mode must be \"AK\" or \"StsToken\"".into())),
    };
    let (Some(id), Some(secret)) = (
        out.access_key_id.filter(|s| !s.is_empty()),
        out.access_key_secret.filter(|s| !s.is_empty()),
    ) else {
        return Err(malformed(
            "access_key_id and access_key_secret are required".into(),
        ));
    };
    let token = out.sts_token.filter(|t| !t.is_empty());
    if sts && token.is_none() {
        return Err(malformed("mode StsToken needs sts_token".into()));
    }
    let expiration = match out.expiration.as_deref() {
        Some(e) => {
            let t = parse_expiration(e).map_err(malformed)?;
            if t <= now {
                return Err(ProviderError::AlreadyExpired {
                    service: service(),
                    expiration: e.to_string(),
                });
            }
            Some(t)
        }
        None => None,
    };
    Ok(Credentials {
        access_key_id: id,
        access_key_secret: secret,
        security_token: if sts { token } else { None },
        expiration,
        issued_at: now,
    })
}

#[cfg(unix)]
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: Option<u32>) {}

#[async_trait]
impl Provider for ExternalProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let mut cmd = tokio::process::Command::new(self.program());
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Never the keyring passphrase (nor any ALICRED_KEYRING* setting):
        // an alicred run here asks the agent instead.
        crate::env_vars::scrub_child(cmd.as_std_mut());
        // Its own process group, so a timeout kills whatever it started too.
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().map_err(|e| {
            ProviderError::Config(format!(
                "profile {}: cannot run {}: {e}",
                self.name,
                self.program()
            ))
        })?;
        let pid = child.id();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let run = async {
            let (o, e, status) =
                tokio::join!(read_capped(stdout), read_capped(stderr), child.wait());
            (o, e, status)
        };
        let (stdout, stderr, status) = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r,
            Err(_) => {
                kill_group(pid);
                let _ = child.start_kill();
                let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                return Err(ProviderError::Network {
                    endpoint: self.service(),
                    reason: format!(
                        "no answer within {} s; the command was killed",
                        self.timeout.as_secs()
                    ),
                });
            }
        };
        let status = status.map_err(|e| ProviderError::Network {
            endpoint: self.service(),
            reason: format!("cannot wait for the command: {e}"),
        })?;
        if !status.success() {
            // stderr only: stdout may hold secrets.
            let err = String::from_utf8_lossy(&stderr);
            let last = err
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .unwrap_or("(no output on stderr)");
            let last: String = last.chars().take(300).collect();
            let code = match status.code() {
                Some(c) => format!("exit status {c}"),
                None => "killed by a signal".to_string(),
            };
            return Err(ProviderError::Upstream {
                service: self.service(),
                status: 0,
                code,
                message: last,
            });
        }
        self.parse(&stdout)
    }

    fn describe(&self) -> String {
        format!("output of the command {}", self.program())
    }
}
