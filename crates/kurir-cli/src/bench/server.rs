//! The kurir a bench measures: `kurir serve` nodes this bench starts as child processes (the default), or a
//! server already running at `--url`. Child processes keep the server's CPU time and memory apart from the
//! bench's own publishers and receivers, so both can be read from `/proc` and reported per delivery.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::http_client;
use crate::cli::BenchArgs;

/// The secret key of benchmark databases, unless `--secret-key` gives one: never point a benchmark at a database
/// that holds real secrets.
const BENCH_KEY: &str = "a3VyaXItYmVuY2gtb25seS1rZXktMzItYnl0ZXMhISE=";

/// The nodes a run publishes to.
pub struct Servers {
    /// Each node's base URL (`http://127.0.0.1:PORT`).
    pub bases: Vec<String>,
    pub admin_token: String,
    /// The processes whose CPU time and memory are the server's: the children, or `--server-pid`.
    measured: Vec<u32>,
    children: Vec<Child>,
}

/// What the server's processes used, from `/proc`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// User and system CPU seconds, all threads, since the process started.
    pub cpu_secs: f64,
    /// The largest resident set the process has had (`VmHWM`), summed over the nodes.
    pub peak_rss_bytes: u64,
}

impl Servers {
    /// Starts the nodes `args` asks for, or connects to `--url`.
    pub async fn start(args: &BenchArgs, data_dir: &Path) -> anyhow::Result<Servers> {
        match &args.url {
            Some(url) => Self::running_at(args, url).await,
            None => Self::spawn(args, data_dir).await,
        }
    }

    async fn running_at(args: &BenchArgs, url: &str) -> anyhow::Result<Servers> {
        let parsed = url::Url::parse(url).with_context(|| format!("--url {url} is not a URL"))?;
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        };
        anyhow::ensure!(
            loopback,
            "--url must be a server on this machine (127.0.0.1, ::1 or localhost): the bench's receivers listen on \
             127.0.0.1, and a benchmark sends its load only to loopback"
        );
        let admin_token = args.admin_token.clone().context(
            "--url needs the server's admin token (--admin-token or KURIR_ADMIN_TOKEN): the bench creates a tenant",
        )?;
        let base = url.trim_end_matches('/').to_owned();
        let client = http_client()?;
        let ready = client.get(format!("{base}/readyz")).send().await;
        anyhow::ensure!(
            ready.as_ref().is_ok_and(|r| r.status().is_success()),
            "the server at {base} is not ready (GET /readyz): {}",
            match ready {
                Ok(response) => response.status().to_string(),
                Err(err) => err.to_string(),
            }
        );
        let measured = args.server_pid.into_iter().collect();
        Ok(Servers { bases: vec![base], admin_token, measured, children: Vec::new() })
    }

    async fn spawn(args: &BenchArgs, data_dir: &Path) -> anyhow::Result<Servers> {
        anyhow::ensure!(args.nodes >= 1, "--nodes must be at least 1");
        anyhow::ensure!(args.nodes == 1 || args.database_url.is_some(), "more than one node needs --database-url");
        let admin_token = format!("bench_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>()));
        // Every node of a PostgreSQL database must seal with the same key.
        let secret_key =
            args.database_url.as_ref().map(|_| args.secret_key.clone().unwrap_or_else(|| BENCH_KEY.to_owned()));
        if let Some(url) = &args.database_url {
            refuse_a_database_in_use(url, secret_key.clone()).await?;
        }
        let exe = std::env::current_exe().context("cannot find this kurir executable to start its server")?;
        let mut servers =
            Servers { bases: Vec::new(), admin_token: admin_token.clone(), measured: Vec::new(), children: Vec::new() };
        for node in 0..args.nodes {
            let port = super::free_loopback_address()?.port();
            let base = format!("http://127.0.0.1:{port}");
            let node_dir = data_dir.join(format!("node-{node}"));
            std::fs::create_dir_all(&node_dir).with_context(|| format!("cannot create {}", node_dir.display()))?;
            let mut command = Command::new(&exe);
            command
                .arg("serve")
                .args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn", "--quiet"])
                .arg("--data-dir")
                .arg(&node_dir)
                .args(["--allow-private-targets", "--node-id", &format!("bench-{node}"), "--lease-secs", "30"])
                .args(["--shutdown-grace-secs", "5", "--circuit-failures", "5", "--circuit-cooldown-ms", "30000"])
                .args(["--disable-after-secs", "0", "--retention-days", "0"])
                .current_dir(&node_dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            // The bench's settings only: none of the user's KURIR_* variables or kurir.toml.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("KURIR_") {
                    command.env_remove(name);
                }
            }
            command.env("KURIR_ADMIN_TOKEN", &admin_token);
            if let Some(key) = &secret_key {
                command.env("KURIR_SECRET_KEY", key);
            }
            if let Some(url) = &args.database_url {
                command.env("KURIR_DATABASE_URL", url);
            }
            if let Some(limit) = args.endpoint_max_in_flight {
                command.arg("--endpoint-max-in-flight").arg(limit.to_string());
            }
            if args.fixed_concurrency {
                command.arg("--fixed-concurrency");
            }
            let child = command.spawn().with_context(|| format!("cannot start {}", exe.display()))?;
            servers.measured.push(child.id());
            servers.children.push(child);
            // One at a time: the first node migrates and stores the key's check value before the others start.
            servers.wait_ready(&base).await?;
            servers.bases.push(base);
        }
        Ok(servers)
    }

    /// Waits until a node answers `/readyz`; when its process ends instead, says so.
    async fn wait_ready(&mut self, base: &str) -> anyhow::Result<()> {
        let client = http_client()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.children.last_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("the kurir node at {base} stopped before it was ready ({status}); its log is above");
                }
            }
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the kurir node at {base} did not become ready within 30 s")
    }

    /// What the server's processes have used so far; `None` for a server the bench cannot see (`--url` without
    /// `--server-pid`), or on a system without `/proc`.
    pub fn usage(&self) -> Option<Usage> {
        if self.measured.is_empty() {
            return None;
        }
        let mut total = Usage::default();
        for pid in &self.measured {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            total.cpu_secs += cpu_secs(&stat)?;
            total.peak_rss_bytes += peak_rss_bytes(&status)?;
        }
        Some(total)
    }

    /// Stops the nodes this bench started (SIGTERM, then a kill after their shutdown grace).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for child in &self.children {
            let pid = i32::try_from(child.id()).ok().and_then(rustix::process::Pid::from_raw);
            if let Some(pid) = pid {
                // Already gone is fine: the wait below reports how it ended.
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for child in &mut self.children {
            loop {
                if let Some(status) = child.try_wait()? {
                    anyhow::ensure!(status.success(), "a kurir node ended with {status}; its log is above");
                    break;
                }
                if Instant::now() > deadline {
                    child.kill()?;
                    child.wait()?;
                    bail!("a kurir node did not stop within 15 s of SIGTERM and was killed");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        // A bench that fails half-way leaves no server behind.
        for child in &mut self.children {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// `/proc/PID/stat`'s user and system time (fields 14 and 15, in clock ticks, which Linux fixes at 100 a second
/// for this file). The command name in parentheses may hold spaces, so fields are counted after its `)`.
fn cpu_secs(stat: &str) -> Option<f64> {
    const TICKS_PER_SEC: f64 = 100.0;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((user + system) as f64 / TICKS_PER_SEC)
}

/// `/proc/PID/status`'s `VmHWM` (peak resident set), in bytes.
fn peak_rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A benchmark replaces the admin token and fills the database with its tenants: it runs only on a database of
/// its own (empty, or holding only earlier runs' `bench-` tenants).
async fn refuse_a_database_in_use(url: &str, secret_key: Option<String>) -> anyhow::Result<()> {
    let options = kurir_store::StoreOptions {
        database: kurir_store::Database::Postgres { url: url.to_owned() },
        secret_key,
        metrics: None,
    };
    let store = kurir_store::open(&options)
        .await
        .context("kurir bench runs only on a database of its own, sealed with the bench key (or --secret-key)")?;
    let tenants = store.list_tenants().await?;
    if let Some(tenant) = tenants.iter().find(|t| !t.id.as_str().starts_with("bench-")) {
        bail!("the database holds tenant `{}`: kurir bench runs only on a database of its own", tenant.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_and_peak_memory_are_read_from_proc() {
        let stat = "4242 (kurir (serve) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0 100 0 0";
        assert_eq!(cpu_secs(stat), Some(3.75));
        assert_eq!(cpu_secs("garbage"), None);
        let status = "Name:\tkurir\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(peak_rss_bytes(status), Some(51_200 * 1024));
        assert_eq!(peak_rss_bytes("Name:\tkurir\n"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        let pid = std::process::id();
        let servers = Servers { bases: vec![], admin_token: String::new(), measured: vec![pid], children: vec![] };
        let usage = servers.usage().unwrap_or_else(|| panic!("/proc/{pid} is readable on Linux"));
        assert!(usage.peak_rss_bytes > 1024 * 1024, "{usage:?}");
    }
}
