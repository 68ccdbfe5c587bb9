use crate::error::{CliError, CliResult};
use alicred_core::server::AgentError;
use alicred_core::service::Alicred;
use std::net::SocketAddr;

/// `alicred agent`: refresh loops, the endpoint and rotation duties until
/// SIGTERM/SIGINT.
pub fn agent(app: &Alicred, listen: Option<SocketAddr>, allow_non_loopback: bool) -> CliResult {
    let mut cfg = app.agent_config();
    cfg.listen = listen;
    cfg.allow_non_loopback = allow_non_loopback;
    super::runtime()?.block_on(async move {
        let handle = alicred_core::server::Agent::start(cfg)
            .await
            .map_err(agent_error)?;
        eprintln!(
            "alicred agent serving {} (print a profile's URL with `alicred endpoint NAME`)",
            handle.url_base()
        );
        run_until_stopped(&handle).await?;
        eprintln!("alicred agent stopping");
        handle.shutdown().await;
        Ok(())
    })
}

/// The core says what is wrong; the CLI names the flag that fixes it.
pub fn agent_error(e: AgentError) -> CliError {
    CliError::failed(match &e {
        AgentError::NotLoopback(_) => {
            format!("{e}; pass --allow-non-loopback if you really mean it")
        }
        AgentError::PortInUse { .. } => format!("{e}; choose another with --listen"),
        _ => e.to_string(),
    })
}

/// Wait for SIGTERM or SIGINT. (SIGHUP is the agent's own: it re-reads the
/// token and the profiles.)
pub async fn run_until_stopped(_handle: &alicred_core::server::AgentHandle) -> CliResult {
    use tokio::signal::unix::{SignalKind, signal};
    let sig = |k| signal(k).map_err(|e| CliError::failed(format!("cannot watch signals: {e}")));
    let (mut term, mut int) = (sig(SignalKind::terminate())?, sig(SignalKind::interrupt())?);
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
