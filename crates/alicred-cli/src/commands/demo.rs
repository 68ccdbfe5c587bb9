use crate::error::{CliError, CliResult};
use alicred_core::service::Alicred;
use alicred_demo as demo;
use std::net::SocketAddr;

/// `alicred demo`: the emulator with sample profiles (and the agent), so
/// everything works with no cloud account.
pub fn demo(app: &Alicred, emulator: SocketAddr, with_agent: bool) -> CliResult {
    if !demo::may_seed(app)? {
        return Err(CliError::failed(
            "this alicred home has your own profiles; run the demo in a separate one: ALICRED_HOME=$(mktemp -d) alicred demo",
        ));
    }
    super::runtime()?.block_on(async {
        let (cloud, names) = demo::start(app, emulator, std::env::current_exe().ok())
            .await
            .map_err(|e| CliError::failed(e.to_string()))?;
        eprintln!("emulator listening on {}", cloud.base_url());
        eprintln!(
            "demo profiles: {}",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if with_agent {
            let handle = alicred_core::server::Agent::start(app.agent_config())
                .await
                .map_err(super::agent::agent_error)?;
            eprintln!("agent serving {}", handle.url_base());
            eprintln!(
                "try:  ALICRED_HOME={} alicred endpoint demo-admin",
                app.paths().base().display()
            );
            super::agent::run_until_stopped(&handle).await?;
            handle.shutdown().await;
        } else {
            eprintln!("press Ctrl-C to stop");
            let _ = tokio::signal::ctrl_c().await;
        }
        cloud.shutdown().await;
        Ok(())
    })
}
