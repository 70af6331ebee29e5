//! The real `kurir` binary as a child process, and a small client for its API.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The secret key the tests give kurir when it runs on PostgreSQL (base64 of 32 bytes).
pub const SECRET_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// How to start kurir.
#[derive(Clone, Default)]
pub struct Options {
    /// `KURIR_ADMIN_TOKEN`; `None` lets kurir generate one (or use the stored one).
    pub admin_token: Option<&'static str>,
    pub allow_private_targets: bool,
    /// `--database-url`: run on this PostgreSQL database (with [`SECRET_KEY`]) instead of SQLite.
    pub database_url: Option<String>,
    /// `--node-id`.
    pub node_id: Option<String>,
    /// More arguments for `kurir serve`.
    pub extra_args: Vec<String>,
    /// Stay on SQLite even when the suite runs on PostgreSQL (`KURIR_IT_BACKEND=postgres`).
    pub sqlite_only: bool,
}

/// The environment variable that runs the whole suite on PostgreSQL: `KURIR_IT_BACKEND=postgres`.
pub const BACKEND_ENV: &str = "KURIR_IT_BACKEND";

/// The file in a test's data directory that names its PostgreSQL database, so a restart finds the same one.
const DATABASE_FILE: &str = "database.url";

/// Whether this run of the suite puts every kurir on PostgreSQL.
fn suite_on_postgres() -> bool {
    std::env::var(BACKEND_ENV).is_ok_and(|backend| backend == "postgres")
}

impl Options {
    /// The suite's defaults: SQLite, or PostgreSQL when the suite runs there (`KURIR_IT_BACKEND=postgres`).
    pub fn standard() -> Self {
        Options {
            admin_token: Some(ADMIN_TOKEN),
            allow_private_targets: true,
            database_url: None,
            node_id: None,
            extra_args: Vec::new(),
            sqlite_only: false,
        }
    }

    /// On a fresh database of the test process's throwaway PostgreSQL cluster; the test fails, saying why, when
    /// none can be had.
    pub fn postgres() -> Self {
        let cluster = kurir_testpg::TestCluster::shared()
            .unwrap_or_else(|err| panic!("PostgreSQL is needed for this test and none could be had: {err}"));
        let url = cluster.fresh_database("it").unwrap_or_else(|err| panic!("{err}"));
        Options { database_url: Some(url), ..Self::standard() }
    }
}

/// A running `kurir serve` on 127.0.0.1 with its data in a temp dir. Killed when dropped.
pub struct Kurir {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    /// What kurir printed on stdout before it was listening (the generated admin token, if any).
    pub startup_output: String,
    /// Keeps the temp dir alive for as long as the test needs it (restarts reuse it).
    _temp: Option<tempfile::TempDir>,
}

impl Kurir {
    /// Starts kurir on a fresh data dir.
    pub async fn start() -> Self {
        Self::start_with(Options::standard()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let temp = tempfile::tempdir().unwrap_or_else(|err| panic!("cannot make a temp dir: {err}"));
        let mut kurir = Self::launch(temp.path(), options).await;
        kurir._temp = Some(temp);
        kurir
    }

    /// Starts kurir on an existing data dir (a restart).
    pub async fn start_in(data_dir: &Path) -> Self {
        Self::launch(data_dir, Options::standard()).await
    }

    /// Starts the process and waits until it listens; panics, with its log, when it does not.
    pub async fn launch(data_dir: &Path, options: Options) -> Self {
        match Self::try_launch(data_dir, options).await {
            Ok(kurir) => kurir,
            Err(log) => panic!("kurir did not start; its log:\n{log}"),
        }
    }

    /// Starts the process; `Err` holds its log when it exits (or stays silent) instead of listening.
    pub async fn try_launch(data_dir: &Path, mut options: Options) -> Result<Self, String> {
        if options.database_url.is_none() && !options.sqlite_only && suite_on_postgres() {
            options.database_url = Some(database_of(data_dir));
        }
        let data_dir = data_dir.to_path_buf();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("kurir.log"))
            .unwrap_or_else(|err| panic!("cannot open the log file: {err}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_kurir"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--shutdown-grace-secs", "2"])
            // As variables, so a test's own flags (extra_args) win.
            .env("KURIR_CIRCUIT_FAILURES", "5")
            .env("KURIR_CIRCUIT_COOLDOWN_MS", "2500")
            .arg("--data-dir")
            .arg(&data_dir)
            .env_remove("KURIR_ADMIN_TOKEN")
            .env_remove("KURIR_ALLOW_PRIVATE_TARGETS")
            .env("KURIR_LOG", "info,kurir_engine=debug");
        if options.allow_private_targets {
            command.arg("--allow-private-targets");
        }
        if let Some(token) = options.admin_token {
            command.env("KURIR_ADMIN_TOKEN", token);
        }
        command.env_remove("KURIR_DATABASE_URL").env_remove("KURIR_SECRET_KEY").env_remove("KURIR_NODE_ID");
        if let Some(url) = &options.database_url {
            command.arg("--database-url").arg(url).env("KURIR_SECRET_KEY", SECRET_KEY);
        }
        if let Some(node) = &options.node_id {
            command.arg("--node-id").arg(node);
        }
        command.args(&options.extra_args);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start kurir: {err}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("kurir has no stdout"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut before = String::new();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("kurir listening on ") {
                    let _ = tx.send((url.to_owned(), before));
                    break;
                }
                before.push_str(&line);
                before.push('\n');
            }
            // Keep draining so that kurir never blocks on a full pipe.
            for _ in lines {}
        });
        let started = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await
            .ok()
            .and_then(Result::ok);
        let Some((base, startup_output)) = started else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::fs::read_to_string(data_dir.join("kurir.log")).unwrap_or_default());
        };
        Ok(Kurir { child: Some(child), base, data_dir, startup_output, _temp: None })
    }

    pub fn admin(&self) -> Api {
        Api::new(&self.base, ADMIN_TOKEN)
    }

    /// Kills the process with SIGKILL: no graceful shutdown, nothing flushed.
    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the process with SIGTERM and waits for it to exit; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else { return false };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        child.wait().map(|status| status.success()).unwrap_or(false)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("kurir.log")).unwrap_or_default()
    }
}

impl Drop for Kurir {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The PostgreSQL database of a test's data directory: made on its first start, found again on a restart.
fn database_of(data_dir: &Path) -> String {
    let file = data_dir.join(DATABASE_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return url;
    }
    let url = Options::postgres().database_url.unwrap_or_default();
    std::fs::write(&file, &url).unwrap_or_else(|err| panic!("cannot write {}: {err}", file.display()));
    url
}

/// A client for kurir's API that authenticates with one token.
#[derive(Clone)]
pub struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().no_proxy().build().unwrap_or_else(|err| panic!("client: {err}"));
        Api { base: base.to_owned(), token: token.to_owned(), client }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Api { token: token.to_owned(), ..self.clone() }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The same token against another kurir node.
    pub fn rebased(self, base: &str) -> Self {
        Api { base: base.to_owned(), ..self }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let method_name = method.as_str().to_owned();
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|err| panic!("{path}: {err}"));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        super::contract::check(&method_name, path, body, status.as_u16(), &value);
        (status, value, headers)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, value, _) = self.send(reqwest::Method::GET, path, None, &[]).await;
        (status, value)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, value, _) = self.send(reqwest::Method::POST, path, Some(&body), &[]).await;
        (status, value)
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, value, _) = self.send(reqwest::Method::PATCH, path, Some(&body), &[]).await;
        (status, value)
    }

    /// POST that must answer `expected`; returns the body.
    pub async fn post_ok(&self, path: &str, body: Value, expected: StatusCode) -> Value {
        let (status, value) = self.post(path, body).await;
        assert_eq!(status, expected, "POST {path}: {value}");
        value
    }
}

/// A tenant with one API key, ready to publish.
pub struct Tenant {
    pub id: String,
    pub key_id: String,
    pub api: Api,
}

impl Tenant {
    pub async fn create(kurir: &Kurir, id: &str) -> Self {
        let admin = kurir.admin();
        admin.post_ok("/v1/tenants", json!({"id": id, "name": format!("{id} store")}), StatusCode::CREATED).await;
        let key =
            admin.post_ok(&format!("/v1/tenants/{id}/api-keys"), json!({"name": "pos"}), StatusCode::CREATED).await;
        let token = key["token"].as_str().unwrap_or_default();
        Tenant {
            id: id.to_owned(),
            key_id: key["id"].as_str().unwrap_or_default().to_owned(),
            api: kurir.admin().with_token(token),
        }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/v1/tenants/{}{rest}", self.id)
    }

    /// Creates an endpoint; `extra` fields are merged into `{"url": url}`. Returns the endpoint's JSON.
    pub async fn endpoint(&self, url: &str, extra: Value) -> Value {
        let mut body = json!({ "url": url });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.api.post_ok(&self.path("/endpoints"), body, StatusCode::CREATED).await
    }

    /// Publishes one event and returns its id.
    pub async fn publish(&self, event_type: &str, payload: Value) -> String {
        let body = self
            .api
            .post_ok(&self.path("/events"), json!({"type": event_type, "payload": payload}), StatusCode::ACCEPTED)
            .await;
        body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The deliveries of one event, from `GET .../events/{id}`.
    pub async fn deliveries_of(&self, event_id: &str) -> Vec<Value> {
        let (_, event) = self.api.get(&self.path(&format!("/events/{event_id}"))).await;
        event["deliveries"].as_array().cloned().unwrap_or_default()
    }

    pub async fn attempts(&self, delivery_id: &str) -> Vec<Value> {
        let (_, body) = self.api.get(&self.path(&format!("/deliveries/{delivery_id}/attempts"))).await;
        body["data"].as_array().cloned().unwrap_or_default()
    }
}
