//! Refresh-engine load benchmark (not a test): 1,000 (or `--profiles N`)
//! `ram-role-arn` profiles chained on one AccessKey, against the local
//! emulator issuing 60-second STS sessions, for N minutes (default 5).
//! Reports, as one JSON object, the time until the engine had every profile
//! fresh at start (and how many first fetches ran at once), expired
//! hand-outs (must be 0), the engine's CPU, peak RSS and timer wake-ups that
//! found nothing due. The status file `alicred prompt` reads is kept current
//! as in an agent, so its cost is counted. `benches/engine.py` runs it and
//! writes BENCHMARKS.md.
//!
//!     cargo run --release -p alicred-core --example engine_load -- --minutes 5 [--profiles 1000]
//!
//! The emulator runs as a separate process (or, without its binary, in this
//! process on its own thread); the engine runs on a
//! runtime whose threads are named `engine`, and CPU is summed over those
//! threads only (from /proc/self/task/*/stat), so the emulator's work is not
//! counted. Peak RSS (VmHWM) is this process's.

use alicred_core::clock::{Clock, SystemClock};
use alicred_core::engine::{Engine, ProfileState, StandardFactory, startup};
use alicred_core::paths::Paths;
use alicred_core::profile::{
    AccessKeyProfile, Endpoints, Profile, ProfileKind, ProfileName, RamRoleArnProfile,
};
use alicred_core::providers::ProviderContext;
use alicred_core::sensitive::Sensitive;
use alicred_core::store::config::ProfilesFile;
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore, StoredKey};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds of this process's threads whose name starts with `prefix`.
fn thread_cpu(prefix: &str) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim().starts_with(prefix))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter_map(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            let ut: f64 = f.get(11)?.parse().ok()?;
            let st: f64 = f.get(12)?.parse().ok()?;
            Some((ut + st) / tick)
        })
        .sum()
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} vCPU ({model})")
}

fn main() {
    let minutes = arg("--minutes", 5);
    let count = arg("--profiles", 1000) as usize;
    // The emulator runs as its own process when its binary is built beside
    // this example, so the peak RSS below is the engine's alone.
    let emulator = Emulator::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("engine")
        .enable_all()
        .build()
        .expect("runtime");
    let endpoints = Endpoints {
        sts: Some(emulator.sts_url().parse().expect("url")),
        ..Endpoints::default()
    };
    let (alice_id, alice_secret) = rt.block_on(emulator.alice());
    let where_emu = emulator.placement();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let base: ProfileName = "base".parse().expect("name");
    secrets
        .set_json(
            &SecretKey::Profile(base.clone()),
            &StoredKey {
                access_key_id: alice_id.clone(),
                access_key_secret: Sensitive::new(alice_secret.clone()),
                security_token: None,
            },
        )
        .expect("store key");
    let mut file = ProfilesFile::default();
    file.profiles.insert(
        base.clone(),
        Profile::new(
            base.clone(),
            ProfileKind::AccessKey(AccessKeyProfile {
                max_key_age_days: None,
                user_name: None,
                endpoints: endpoints.clone(),
            }),
        ),
    );
    let role_arn = format!("acs:ram::{}:role/admin", alicred_fakecloud::DEMO_ACCOUNT_ID);
    let names: Vec<ProfileName> = (0..count)
        .map(|i| format!("role-{i:05}").parse().expect("name"))
        .collect();
    for n in &names {
        let p = Profile::new(
            n.clone(),
            ProfileKind::RamRoleArn(RamRoleArnProfile {
                source: base.clone(),
                role_arn: role_arn.clone(),
                session_name: "bench".into(),
                duration_seconds: 900,
                policy: None,
                external_id: None,
                endpoints: endpoints.clone(),
            }),
        );
        file.profiles.insert(n.clone(), p);
    }

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut ctx = ProviderContext::new(secrets, clock.clone());
    ctx.env = Arc::new(|_| None);
    let report = rt.block_on(async move {
        // Start-up: the engine fetches every profile by itself, a bounded
        // number at a time (engine/startup.rs); time until all are fresh.
        let t = Instant::now();
        let engine = Engine::start(file, ctx, Arc::new(StandardFactory));
        // The status file `alicred prompt` reads, kept current as an agent does.
        let status_dir = tempfile::tempdir().expect("tmp");
        let (stop_status, stop_rx) = tokio::sync::watch::channel(false);
        let status = alicred_core::status_file::spawn_writer(
            Paths::new(status_dir.path()),
            engine.clone(),
            stop_rx,
        );
        for n in &names {
            let mut w = engine.watch_state(n).expect("profile runs");
            w.wait_for(|s| matches!(s, ProfileState::Fresh { .. }))
                .await
                .expect("becomes fresh");
        }
        let warm = t.elapsed().as_secs_f64();
        let warm_cpu = thread_cpu("engine");
        let stats0 = engine.stats();
        let cpu0 = thread_cpu("engine");
        let start = Instant::now();
        let run = Duration::from_secs(minutes * 60);
        let (mut handouts, mut expired, mut errors, mut min_left) = (0u64, 0u64, 0u64, i64::MAX);
        let mut i = 0usize;
        while start.elapsed() < run {
            // 200 hand-outs a second spread over all profiles
            for _ in 0..20 {
                let n = &names[i % names.len()];
                i = i.wrapping_add(7919);
                match engine.credentials(n).await {
                    Ok(c) => {
                        handouts += 1;
                        let left = c.expiration.map(|e| (e - clock.now()).num_milliseconds());
                        if let Some(l) = left {
                            min_left = min_left.min(l);
                            if l <= 0 {
                                expired += 1;
                            }
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let wall = start.elapsed().as_secs_f64();
        let cpu = thread_cpu("engine") - cpu0;
        let s = engine.stats();
        let status_bytes =
            std::fs::metadata(status_dir.path().join("status")).map_or(0, |m| m.len());
        let _ = stop_status.send(true);
        let _ = status.await;
        engine.shutdown().await;
        serde_json::json!({
            "profiles": count,
            "minutes": minutes,
            "machine": machine(),
            "emulator": where_emu,
            "expired": expired,
            "handouts": handouts,
            "errors": errors,
            "least_left_s": min_left as f64 / 1000.0,
            "fetches": s.fetches - stats0.fetches,
            "timer_wakeups": s.timer_wakeups - stats0.timer_wakeups,
            "idle_wakeups": s.idle_wakeups - stats0.idle_wakeups,
            "cpu_s": cpu,
            "wall_s": wall,
            "cpu_pct": 100.0 * cpu / wall,
            "peak_rss_mib": vm_hwm_kib() as f64 / 1024.0,
            "all_fresh_s": warm,
            "startup_cpu_s": warm_cpu,
            "fetch_bound": startup::FETCH_CONCURRENCY,
            "fetch_peak": startup::peak_fetches(),
            "status_file_bytes": status_bytes,
        })
    });
    println!("{report}");
    emulator.stop();
}

/// The demo emulator with 60-second sessions: a child process when the
/// `alicred-fakecloud` binary sits next to this example's directory, else
/// in this process (then its memory counts in the peak RSS).
enum Emulator {
    Process {
        child: std::process::Child,
        base: String,
    },
    InProcess(alicred_fakecloud::FakeCloudHandle),
}

impl Emulator {
    fn start() -> Self {
        let bin = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent()?.parent().map(|d| d.join("alicred-fakecloud")))
            .filter(|p| p.is_file());
        if let Some(bin) = bin {
            use std::io::BufRead;
            let mut child = std::process::Command::new(bin)
                .args([
                    "--listen",
                    "127.0.0.1:0",
                    "--demo",
                    "--lifetime-seconds",
                    "60",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("emulator starts");
            let mut line = String::new();
            if let Some(out) = child.stdout.take() {
                let _ = std::io::BufReader::new(out).read_line(&mut line);
            }
            let base = line
                .trim()
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .to_string();
            return Emulator::Process { child, base };
        }
        Emulator::InProcess(
            FakeCloud::start_background(FakeCloudConfig::demo().lifetime_seconds(60))
                .expect("emulator starts"),
        )
    }

    fn sts_url(&self) -> String {
        match self {
            Emulator::Process { base, .. } => format!("{base}/sts"),
            Emulator::InProcess(h) => h.sts_url(),
        }
    }

    /// alice's AccessKey from the demo seed.
    async fn alice(&self) -> (String, String) {
        match self {
            Emulator::Process { base, .. } => {
                let v: serde_json::Value = reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .expect("client")
                    .get(format!("{base}/_admin/demo"))
                    .send()
                    .await
                    .expect("admin")
                    .json()
                    .await
                    .expect("demo seed");
                let s = |k: &str| v["alice"][k].as_str().unwrap_or_default().to_string();
                (s("access_key_id"), s("access_key_secret"))
            }
            Emulator::InProcess(h) => {
                let seed = h.demo().expect("demo seed");
                (
                    seed.alice.access_key_id.clone(),
                    seed.alice.access_key_secret.clone(),
                )
            }
        }
    }

    fn placement(&self) -> &'static str {
        match self {
            Emulator::Process { .. } => "the emulator runs as a separate process",
            Emulator::InProcess(_) => "emulator included, it ran in-process",
        }
    }

    fn stop(self) {
        match self {
            Emulator::Process { mut child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Emulator::InProcess(h) => h.shutdown_blocking(),
        }
    }
}
