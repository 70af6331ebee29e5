//! Throwaway PostgreSQL cluster for tests (std only, no crates).
//!
//! ```text
//! let pg = TestCluster::start()?;            // or TestCluster::shared()? for one per test binary
//! let url = pg.fresh_database("store")?;     // postgres://kurir@127.0.0.1:<port>/store_<pid>_<n>
//! ```
//!
//! * If `KURIR_TEST_DATABASE_URL` is set (non-empty) no cluster is started; that server is used
//!   and `create_database` runs `CREATE DATABASE` on it through `psql`.
//! * Otherwise `initdb` and `pg_ctl` are looked up on `PATH`, then in `pg_config --bindir`,
//!   then in `/usr/lib/postgresql/*/bin` (newest first).
//! * `initdb` refuses to run as root, so when `id -u` says 0 the server-side commands are run as the
//!   `postgres` user (`runuser -u postgres --`, falling back to `su -s /bin/sh postgres -c`) in a
//!   temporary directory chowned to that user.
//! * Dropping a `TestCluster` runs `pg_ctl stop -m immediate` and removes the directory. A detached
//!   watchdog shell also does that once the test process has exited, so a cluster held in a
//!   `static` (see [`TestCluster::shared`]) or leaked by a killed test run is cleaned up too.
//!
//! Drop the file into e.g. `crates/<crate>/tests/common/pg_cluster.rs` and `mod pg_cluster;`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable naming an existing server to use instead of a throwaway cluster.
pub const URL_ENV: &str = "KURIR_TEST_DATABASE_URL";
/// Superuser created by `initdb -U`.
pub const SUPERUSER: &str = "kurir";
/// OS account used to run initdb/pg_ctl when the tests run as root.
const PG_OS_USER: &str = "postgres";
/// libpq environment variables that could redirect our client/server commands elsewhere.
const PG_ENV_VARS: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGOPTIONS",
    "PGDATA",
    "PGCLUSTER",
];
const START_ATTEMPTS: usize = 3;

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct TestCluster {
    /// URL of the maintenance database (`postgres`), e.g. `postgres://kurir@127.0.0.1:5433/postgres`.
    pub url: String,
    inner: Inner,
}

enum Inner {
    Local(Local),
    External { psql: Result<PathBuf, String>, created: Mutex<Vec<String>> },
}

struct Local {
    bins: Bins,
    /// Temporary directory: `data/` (PGDATA), `postgres.log`, and the Unix socket.
    root: PathBuf,
    data: PathBuf,
    port: u16,
    /// `Some` when we are root and must switch to the `postgres` account.
    run_as: Option<RunAs>,
    /// `pg_ctl start` was attempted, so `Drop` must try to stop the server.
    start_attempted: bool,
}

struct Bins {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    createdb: Option<PathBuf>,
    psql: Option<PathBuf>,
}

enum Switcher {
    Runuser(PathBuf),
    Su(PathBuf),
}

struct RunAs {
    uid: u32,
    gid: u32,
    switcher: Switcher,
}

impl TestCluster {
    /// Uses `KURIR_TEST_DATABASE_URL` if set, else initdb + starts a fresh cluster.
    /// The error says exactly what is missing or what failed.
    pub fn start() -> Result<TestCluster, String> {
        if let Ok(url) = std::env::var(URL_ENV) {
            let url = url.trim().to_string();
            if !url.is_empty() {
                let psql = find_client_tool("psql", None).ok_or_else(|| {
                    format!(
                        "{URL_ENV} is set, but `psql` (needed to CREATE DATABASE) was not found \
                         on PATH nor in `pg_config --bindir`"
                    )
                });
                return Ok(TestCluster { url, inner: Inner::External { psql, created: Mutex::new(Vec::new()) } });
            }
        }
        Self::start_local().map_err(|e| {
            format!(
                "cannot start a throwaway PostgreSQL cluster for the tests: {e}\n\
                 (install the PostgreSQL server binaries, e.g. `apt-get install postgresql`, \
                 or set {URL_ENV}=postgres://user:pass@host:port/db to use an existing server)"
            )
        })
    }

    /// One cluster per test process, started on first use. Never dropped (it lives in a
    /// `static`); the watchdog stops it and removes its directory when the process exits.
    pub fn shared() -> Result<&'static TestCluster, String> {
        static SHARED: OnceLock<Result<TestCluster, String>> = OnceLock::new();
        SHARED.get_or_init(TestCluster::start).as_ref().map_err(Clone::clone)
    }

    /// Port of the local cluster, `None` when using `KURIR_TEST_DATABASE_URL`.
    pub fn port(&self) -> Option<u16> {
        match &self.inner {
            Inner::Local(l) => Some(l.port),
            Inner::External { .. } => None,
        }
    }

    /// Path of the server log of the local cluster (handy in assertion messages).
    pub fn log_path(&self) -> Option<PathBuf> {
        match &self.inner {
            Inner::Local(l) => Some(l.root.join("postgres.log")),
            Inner::External { .. } => None,
        }
    }

    /// Creates database `name` (`[a-z_][a-z0-9_]*`, at most 63 bytes) and returns its URL,
    /// e.g. `postgres://kurir@127.0.0.1:<port>/<name>`.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        validate_db_name(name)?;
        match &self.inner {
            Inner::Local(l) => {
                let port = l.port.to_string();
                if let Some(createdb) = &l.bins.createdb {
                    let mut cmd = client_cmd(createdb);
                    cmd.args(["-w", "-h", "127.0.0.1", "-p", port.as_str(), "-U", SUPERUSER, "--", name]);
                    run(cmd, "createdb")?;
                } else if let Some(psql) = &l.bins.psql {
                    psql_exec(psql, &self.url, &format!("CREATE DATABASE \"{name}\""))?;
                } else {
                    return Err(format!(
                        "neither `createdb` nor `psql` found next to {} (nor on PATH / pg_config \
                         --bindir); cannot create database {name}",
                        l.bins.initdb.display()
                    ));
                }
                Ok(format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", l.port))
            }
            Inner::External { psql, created } => {
                let psql = psql.as_ref().map_err(Clone::clone)?;
                psql_exec(psql, &self.url, &format!("CREATE DATABASE \"{name}\""))?;
                if let Ok(mut v) = created.lock() {
                    v.push(name.to_string());
                }
                url_with_database(&self.url, name)
            }
        }
    }

    /// `create_database` with a unique name `<prefix>_<pid>_<n>`.
    pub fn fresh_database(&self, prefix: &str) -> Result<String, String> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}_{}_{n}", std::process::id());
        self.create_database(&name)
    }

    /// Runs `sql` on the database at `url` with `psql` and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        let psql = match &self.inner {
            Inner::Local(l) => l.bins.psql.clone().ok_or_else(|| "`psql` was not found".to_owned())?,
            Inner::External { psql, .. } => psql.clone()?,
        };
        let mut cmd = client_cmd(&psql);
        cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
        let output = run(cmd, "psql")?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Stops the local server (`pg_ctl stop -m fast`) so a test can see what kurir does without its database.
    /// Only for a cluster of the test's own ([`TestCluster::start`]), never the shared one.
    pub fn stop_server(&self) -> Result<(), String> {
        let Inner::Local(l) = &self.inner else {
            return Err(format!("cannot stop the server {URL_ENV} names"));
        };
        let data_s = path_str(&l.data)?;
        run(l.as_pg_user(&l.bins.pg_ctl, &["-D", &data_s, "-m", "fast", "-w", "stop"]), "pg_ctl stop").map(|_| ())
    }

    /// Starts the local server again on the same port after [`TestCluster::stop_server`].
    pub fn start_server(&self) -> Result<(), String> {
        let Inner::Local(l) = &self.inner else {
            return Err(format!("cannot start the server {URL_ENV} names"));
        };
        let (data_s, root_s) = (path_str(&l.data)?, path_str(&l.root)?);
        let log_s = path_str(&l.root.join("postgres.log"))?;
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on", l.port, sh_quote(&root_s));
        let args = ["-D", data_s.as_str(), "-o", &opts, "-w", "-t", "60", "start", "-l", &log_s];
        run(l.as_pg_user(&l.bins.pg_ctl, &args), "pg_ctl start").map(|_| ())
    }

    fn start_local() -> Result<TestCluster, String> {
        let bins = find_server_bins()?;
        let run_as = if effective_uid_is_root()? { Some(postgres_account()?) } else { None };

        let root = make_temp_dir()?;
        let data = root.join("data");
        let mut cluster = TestCluster {
            url: String::new(),
            inner: Inner::Local(Local { bins, root, data, port: 0, run_as, start_attempted: false }),
        };
        // From here on, returning Err drops `cluster`, which stops/removes whatever exists.
        let Inner::Local(l) = &mut cluster.inner else {
            return Err("internal error: expected a local cluster".into());
        };
        spawn_watchdog(l);

        if let Some(ra) = &l.run_as {
            std::os::unix::fs::chown(&l.root, Some(ra.uid), Some(ra.gid))
                .map_err(|e| format!("chown {} to {PG_OS_USER}: {e}", l.root.display()))?;
        }

        let data_s = path_str(&l.data)?;
        let initdb = l.bins.initdb.clone();
        run(
            l.as_pg_user(
                &initdb,
                &["-D", &data_s, "--auth=trust", "-U", SUPERUSER, "--no-sync", "-E", "UTF8", "--locale=C"],
            ),
            "initdb",
        )
        .map_err(|e| {
            let hint = if l.run_as.is_some() {
                format!(
                    "\n(ran as `{PG_OS_USER}`; it must be able to reach {} — is the temp dir \
                     world-traversable?)",
                    l.root.display()
                )
            } else {
                String::new()
            };
            format!("{e}{hint}")
        })?;

        let root_s = path_str(&l.root)?;
        let log_s = path_str(&l.root.join("postgres.log"))?;
        let pg_ctl = l.bins.pg_ctl.clone();
        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            // pg_ctl hands -o to /bin/sh, so shell-quote the socket directory.
            let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on", sh_quote(&root_s));
            l.start_attempted = true;
            let res = run(
                l.as_pg_user(&pg_ctl, &["-D", &data_s, "-o", &opts, "-w", "-t", "60", "start", "-l", &log_s]),
                "pg_ctl start",
            );
            match res {
                Ok(_) => {
                    l.port = port;
                    cluster.url = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/postgres");
                    return Ok(cluster);
                }
                Err(e) => {
                    let log = std::fs::read_to_string(&log_s).unwrap_or_default();
                    last_err = format!("{e}\n--- {log_s} ---\n{}", tail(&log, 30));
                    // Port stolen between probing and binding: try another one.
                    if !(log.contains("could not bind") || log.contains("already in use")) {
                        break;
                    }
                }
            }
        }
        Err(last_err)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        match &self.inner {
            Inner::Local(l) => {
                if l.start_attempted && l.data.join("postmaster.pid").exists() {
                    if let Ok(data_s) = path_str(&l.data) {
                        let cmd = l.as_pg_user(&l.bins.pg_ctl, &["-D", &data_s, "-m", "immediate", "-w", "stop"]);
                        if let Err(e) = run(cmd, "pg_ctl stop") {
                            eprintln!("pg_cluster: {e}");
                        }
                    }
                }
                if let Err(e) = std::fs::remove_dir_all(&l.root) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        eprintln!("pg_cluster: removing {}: {e}", l.root.display());
                    }
                }
            }
            Inner::External { psql, created } => {
                let (Ok(psql), Ok(names)) = (psql, created.lock()) else {
                    return;
                };
                for name in names.iter() {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(e) = psql_exec(psql, &self.url, &sql) {
                        eprintln!("pg_cluster: {e}");
                    }
                }
            }
        }
    }
}

impl Local {
    /// `program args…`, run as `postgres` when we are root; cwd = the cluster dir.
    fn as_pg_user(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = match &self.run_as {
            None => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Some(RunAs { switcher: Switcher::Runuser(runuser), .. }) => {
                let mut c = Command::new(runuser);
                c.args(["-u", PG_OS_USER, "--"]).arg(program).args(args);
                c
            }
            Some(RunAs { switcher: Switcher::Su(su), .. }) => {
                let mut c = Command::new(su);
                c.args(["-s", "/bin/sh", PG_OS_USER, "-c", &shell_line(program, args)]);
                c
            }
        };
        // Without this, commands run as `postgres` complain they cannot chdir to /root.
        cmd.current_dir(&self.root);
        for v in PG_ENV_VARS {
            cmd.env_remove(v);
        }
        cmd
    }

    /// Shell command (as a single line) that stops the cluster, for the watchdog.
    fn stop_line(&self) -> Option<String> {
        let data = self.data.to_str()?;
        let args = ["-D", data, "-m", "immediate", "-w", "stop"];
        let pg_ctl = self.bins.pg_ctl.as_path();
        Some(match &self.run_as {
            None => shell_line(pg_ctl, &args),
            Some(RunAs { switcher: Switcher::Runuser(r), .. }) => {
                let mut v = vec!["-u", PG_OS_USER, "--", pg_ctl.to_str()?];
                v.extend_from_slice(&args);
                shell_line(r, &v)
            }
            Some(RunAs { switcher: Switcher::Su(su), .. }) => {
                let inner = shell_line(pg_ctl, &args);
                shell_line(su, &["-s", "/bin/sh", PG_OS_USER, "-c", &inner])
            }
        })
    }
}

/// Detached `sh` that waits for this process to exit, then stops the cluster (if still running)
/// and removes its directory. Own process group, so a terminal Ctrl-C does not kill it.
fn spawn_watchdog(l: &Local) {
    let (Some(stop), Ok(root), Ok(pidfile)) =
        (l.stop_line(), path_str(&l.root), path_str(&l.data.join("postmaster.pid")))
    else {
        return;
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         if [ -f {pidfile} ]; then {stop}; fi; rm -rf {root}",
        pid = std::process::id(),
        pidfile = sh_quote(&pidfile),
        root = sh_quote(&root),
    );
    let spawned = Command::new("/bin/sh")
        .args(["-c", &script])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    if let Err(e) = spawned {
        eprintln!("pg_cluster: could not spawn cleanup watchdog (cluster may leak if the test process is killed): {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// binaries

fn find_server_bins() -> Result<Bins, String> {
    let pg_config_dir = pg_config_bindir();
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(d) = &pg_config_dir {
        dirs.push(d.clone());
    }
    dirs.extend(debian_bindirs());

    let find = |name: &str| -> Option<PathBuf> {
        on_path(name).or_else(|| dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p)))
    };
    let initdb = find("initdb");
    let pg_ctl = find("pg_ctl");
    let (initdb, pg_ctl) = match (initdb, pg_ctl) {
        (Some(i), Some(p)) => (i, p),
        (i, p) => {
            let mut msg = String::new();
            for (name, found) in [("initdb", &i), ("pg_ctl", &p)] {
                if found.is_none() {
                    let _ = write!(msg, "`{name}` not found; ");
                }
            }
            let path = std::env::var("PATH").unwrap_or_default();
            let _ = write!(msg, "searched PATH={path}");
            match &pg_config_dir {
                Ok(d) => {
                    let _ = write!(msg, ", `pg_config --bindir` = {}", d.display());
                }
                Err(e) => {
                    let _ = write!(msg, ", {e}");
                }
            }
            let _ = write!(msg, ", /usr/lib/postgresql/*/bin");
            return Err(msg);
        }
    };
    // Client tools: prefer the directory the real initdb lives in (PATH entries are often
    // symlinks, e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb).
    let home = std::fs::canonicalize(&initdb).ok().and_then(|p| p.parent().map(Path::to_path_buf));
    Ok(Bins {
        createdb: find_client_tool("createdb", home.as_deref()),
        psql: find_client_tool("psql", home.as_deref()),
        initdb,
        pg_ctl,
    })
}

fn find_client_tool(name: &str, preferred_dir: Option<&Path>) -> Option<PathBuf> {
    preferred_dir
        .map(|d| d.join(name))
        .filter(|p| is_executable(p))
        .or_else(|| on_path(name))
        .or_else(|| pg_config_bindir().ok().map(|d| d.join(name)).filter(|p| is_executable(p)))
        .or_else(|| debian_bindirs().into_iter().map(|d| d.join(name)).find(|p| is_executable(p)))
}

fn pg_config_bindir() -> Result<PathBuf, String> {
    let exe = on_path("pg_config").ok_or("`pg_config` not on PATH")?;
    let out = Command::new(&exe)
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {} --bindir: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!("`pg_config --bindir` failed: {}", out.status));
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if dir.is_empty() {
        return Err("`pg_config --bindir` printed nothing".into());
    }
    Ok(PathBuf::from(dir))
}

/// `/usr/lib/postgresql/<major>/bin`, highest major first (Debian/Ubuntu layout).
fn debian_bindirs() -> Vec<PathBuf> {
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, p)| p.is_dir())
        .collect();
    v.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    v.into_iter().map(|(_, p)| p).collect()
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// users

fn effective_uid_is_root() -> Result<bool, String> {
    match Command::new("id").arg("-u").stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).trim() == "0"),
        Ok(out) => Err(format!("`id -u` failed ({}); cannot tell whether we run as root", out.status)),
        Err(e) => Err(format!("cannot run `id -u` to tell whether we run as root: {e}")),
    }
}

fn postgres_account() -> Result<RunAs, String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, PG_OS_USER])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running `id {flag} {PG_OS_USER}`: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "running as root, and initdb refuses to run as root, but there is no \
                 `{PG_OS_USER}` OS user to run it as (`id {flag} {PG_OS_USER}`: {}). Create one \
                 (`useradd -r {PG_OS_USER}`) or run the tests as a non-root user",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .map_err(|e| format!("`id {flag} {PG_OS_USER}` printed something odd: {e}"))
    };
    let uid = id("-u")?;
    let gid = id("-g")?;
    let exists = |p: &str| is_executable(Path::new(p)).then(|| PathBuf::from(p));
    let switcher = if let Some(r) =
        on_path("runuser").or_else(|| exists("/usr/sbin/runuser")).or_else(|| exists("/sbin/runuser"))
    {
        Switcher::Runuser(r)
    } else if let Some(su) = on_path("su").or_else(|| exists("/bin/su")).or_else(|| exists("/usr/bin/su")) {
        Switcher::Su(su)
    } else {
        return Err(format!(
            "running as root, so initdb/pg_ctl must run as `{PG_OS_USER}`, but neither `runuser` \
             nor `su` was found"
        ));
    };
    Ok(RunAs { uid, gid, switcher })
}

// ---------------------------------------------------------------------------------------------
// helpers

fn make_temp_dir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    let mut last = None;
    for _ in 0..16 {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("kurir-pg-{}-{n}-{nanos:08x}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some(e),
        }
    }
    Err(format!(
        "could not create a temporary directory under {}: {}",
        base.display(),
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("could not pick a free TCP port on 127.0.0.1: {e}"))
}

/// Client command with libpq environment overrides removed (the URL/flags say everything).
fn client_cmd(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for v in PG_ENV_VARS {
        cmd.env_remove(v);
    }
    cmd
}

fn psql_exec(psql: &Path, url: &str, sql: &str) -> Result<Output, String> {
    let mut cmd = client_cmd(psql);
    cmd.args(["-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
    run(cmd, "psql")
}

fn run(mut cmd: Command, what: &str) -> Result<Output, String> {
    let desc = format!("{cmd:?}");
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: could not run {desc}: {e}"))?;
    if out.status.success() {
        return Ok(out);
    }
    Err(format!(
        "{what} failed ({}): {desc}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end(),
    ))
}

fn validate_db_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!("invalid test database name {name:?}: use [a-z_][a-z0-9_]*, at most 63 bytes"))
    }
}

/// `postgres://u:p@h:1/old?x=y` -> `postgres://u:p@h:1/<db>?x=y`.
fn url_with_database(url: &str, db: &str) -> Result<String, String> {
    let scheme_end = url.find("://").ok_or_else(|| format!("{URL_ENV} is not a postgres:// URL: {url:?}"))? + 3;
    let (head, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = head[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(head.len());
    Ok(format!("{}/{db}{query}", &head[..authority_end]))
}

fn path_str(p: &Path) -> Result<String, String> {
    p.to_str().map(str::to_string).ok_or_else(|| format!("path is not valid UTF-8: {}", p.display()))
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn shell_line(program: &Path, args: &[&str]) -> String {
    let mut s = sh_quote(&program.to_string_lossy());
    for a in args {
        s.push(' ');
        s.push_str(&sh_quote(a));
    }
    s
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod pg_cluster_self_test {
    use super::*;

    #[test]
    fn url_rewrite() {
        assert_eq!(
            url_with_database("postgres://u:p@h:5432/db?sslmode=disable", "t1").as_deref(),
            Ok("postgres://u:p@h:5432/t1?sslmode=disable")
        );
        assert_eq!(url_with_database("postgres://h", "t1").as_deref(), Ok("postgres://h/t1"));
        assert!(validate_db_name("a_1").is_ok());
        assert!(validate_db_name("1a").is_err());
        assert!(validate_db_name("A").is_err());
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn start_create_drop() {
        let pg = match TestCluster::start() {
            Ok(pg) => pg,
            Err(e) => panic!("{e}"),
        };
        let url = match pg.fresh_database("selftest") {
            Ok(u) => u,
            Err(e) => panic!("{e}"),
        };
        assert!(url.contains("/selftest_"), "{url}");
        if let Some(port) = pg.port() {
            assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        }
        let root = pg.log_path().and_then(|p| p.parent().map(Path::to_path_buf));
        drop(pg);
        if let Some(root) = root {
            assert!(!root.exists(), "{} not removed", root.display());
        }
    }
}
