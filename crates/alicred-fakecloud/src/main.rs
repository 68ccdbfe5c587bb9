//! `alicred-fakecloud --listen 127.0.0.1:PORT [--demo] [--lifetime-seconds N]`
//!
//! Prints `alicred-fakecloud listening on http://127.0.0.1:PORT` once ready, serves until
//! SIGTERM or SIGINT (then, with `--record-secrets FILE`, it appends every secret it
//! handed out to FILE). Logs (no secrets) go to stderr; `RUST_LOG` sets the level.

use alicred_fakecloud::{FakeCloud, FakeCloudConfig};
use clap::Parser;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

/// A local Alibaba Cloud emulator (STS, RAM, KMS, ECS metadata, credentials URI) for tests.
#[derive(Parser, Debug)]
#[command(name = "alicred-fakecloud", version)]
struct Args {
    /// Loopback address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Seed the demo world (account 1234567890123456, user alice, roles, ...).
    #[arg(long)]
    demo: bool,
    /// Cap issued STS credential lifetimes at N seconds.
    #[arg(long, value_name = "N")]
    lifetime_seconds: Option<u64>,
    /// Approve CloudSSO device sign-ins by themselves (implied by --demo).
    #[arg(long)]
    auto_approve: bool,
    /// On SIGTERM/SIGINT, append every secret value handed out to FILE (one
    /// `kind<TAB>value` a line, mode 0600), for a secret scan made after the
    /// emulator is gone (tests/e2e/run.sh). Default: $ALICRED_FAKECLOUD_RECORD_SECRETS.
    #[arg(long, value_name = "FILE")]
    record_secrets: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let spec = match args.listen.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => args.listen.clone(),
    };
    let listen: SocketAddr = match spec.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!(
                "alicred-fakecloud: invalid --listen address {:?} (expected IP:PORT, e.g. 127.0.0.1:8080)",
                args.listen
            );
            return ExitCode::from(2);
        }
    };
    if !listen.ip().is_loopback() {
        eprintln!(
            "alicred-fakecloud: refusing to listen on {listen}: only loopback addresses are allowed"
        );
        return ExitCode::from(2);
    }
    let mut config = FakeCloudConfig::new().listen(listen);
    config.demo = args.demo;
    config.auto_approve_sign_in = args.demo || args.auto_approve;
    config.lifetime_seconds = args.lifetime_seconds;

    let record = args.record_secrets.clone().or_else(|| {
        std::env::var_os("ALICRED_FAKECLOUD_RECORD_SECRETS")
            .filter(|v| !v.is_empty())
            .map(Into::into)
    });

    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("alicred-fakecloud: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let cloud = match FakeCloud::start(config).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("alicred-fakecloud: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "alicred-fakecloud listening on {}", cloud.base_url());
        let _ = out.flush();
        drop(out);
        wait_for_signal().await;
        if let Some(path) = record
            && let Err(e) = record_secrets(&path, &cloud.handed_out_secrets())
        {
            eprintln!(
                "alicred-fakecloud: cannot record the secrets in {}: {e}",
                path.display()
            );
        }
        cloud.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn record_secrets(
    path: &std::path::Path,
    secrets: &[alicred_fakecloud::HandedOut],
) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mut buf = String::new();
    for s in secrets {
        buf.push_str(s.kind);
        buf.push('\t');
        buf.push_str(&s.value);
        buf.push('\n');
    }
    f.write_all(buf.as_bytes())
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
