//! A real headless Chromium, driven through ChromeDriver (WebDriver) with fantoccini, for the dashboard's tests.
//!
//! Each [`Browser`] starts its own `chromedriver` on a free loopback port and its own Chromium with a fresh
//! profile; both end when it is dropped. Without Chromium and ChromeDriver the test fails, saying how to get
//! them (`tools/test` installs Debian's `chromium` and `chromium-driver`). Every test takes screenshots on its
//! way: into `target/dashboard-screenshots/`, or the directory `KURIR_SCREENSHOTS` names (docs/dashboard.md's
//! pictures are made that way).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long a test waits for something to show up on a page.
pub const PAGE_WAIT: Duration = Duration::from_secs(20);

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: PathBuf,
    test: String,
    step: usize,
}

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    for candidate in candidates {
        let path = Path::new(candidate);
        if path.is_absolute() && path.exists() {
            return Some(path.to_owned());
        }
        if let Some(dirs) = std::env::var_os("PATH") {
            if let Some(found) = std::env::split_paths(&dirs).map(|d| d.join(candidate)).find(|p| p.exists()) {
                return Some(found);
            }
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|err| panic!("no free port for chromedriver: {err}"))
}

impl Browser {
    /// A fresh headless Chromium; `test` names its screenshots.
    pub async fn start(test: &str) -> Browser {
        let missing = "the dashboard's tests need Chromium and ChromeDriver: run tools/test (it installs them), \
                       or apt-get install chromium chromium-driver";
        let chromium = std::env::var_os("KURIR_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| find_program(&["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"]))
            .unwrap_or_else(|| panic!("no Chromium found: {missing}"));
        let chromedriver = find_program(&["/usr/bin/chromedriver", "chromedriver"])
            .unwrap_or_else(|| panic!("no chromedriver found: {missing}"));
        let port = free_port();
        // Its own process group, so that dropping the browser ends chromedriver and every Chromium process.
        let driver = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", chromedriver.display()));
        let profile = tempfile::tempdir().unwrap_or_else(|err| panic!("no temp dir for the profile: {err}"));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let capabilities = capabilities.as_object().cloned().unwrap_or_default();
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&webdriver).await {
                Ok(client) => break client,
                Err(err) if Instant::now() < deadline => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("cannot start a Chromium session through chromedriver: {err}"),
            }
        };
        let shots = std::env::var_os("KURIR_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/dashboard-screenshots"));
        let _ = std::fs::create_dir_all(&shots);
        Browser { client, driver, _profile: profile, shots, test: test.to_owned(), step: 0 }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|err| panic!("cannot open {url}: {err}"));
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.map(|u| u.path().to_owned()).unwrap_or_default()
    }

    /// Saves a screenshot of the page as `<test>-<step>-<name>.png`.
    pub async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap_or_else(|err| panic!("screenshot {name}: {err}"));
        let file = self.shots.join(format!("{}-{:02}-{name}.png", self.test, self.step));
        std::fs::write(&file, png).unwrap_or_else(|err| panic!("cannot write {}: {err}", file.display()));
    }

    /// The element `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(err) => panic!("no element `{css}` on {} after {PAGE_WAIT:?}: {err}", self.path().await),
            }
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element.clear().await.unwrap_or_else(|err| panic!("cannot clear `{css}`: {err}"));
        element.send_keys(text).await.unwrap_or_else(|err| panic!("cannot type into `{css}`: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|err| panic!("cannot click `{css}`: {err}"));
    }

    /// The visible text of the whole page.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `wanted` (without reloading: live regions must bring it).
    pub async fn wait_for_text(&self, wanted: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let text = self.text().await;
            if text.contains(wanted) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{wanted}` never appeared on {}; the page says:\n{text}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser is on `path`.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self.path().await != path {
            assert!(
                Instant::now() < deadline,
                "never reached {path}; on {} saying:\n{}",
                self.path().await,
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses Tab once, as a keyboard user would.
    pub async fn press_tab(&self) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let tab = char::from(fantoccini::key::Key::Tab);
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab });
        self.client.perform_actions(keys).await.unwrap_or_else(|err| panic!("cannot press Tab: {err}"));
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, Vec::new()).await.unwrap_or_else(|err| panic!("script failed: {err}"))
    }

    /// Signs in on `base`'s dashboard with `token`.
    pub async fn sign_in(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/ui/sign-in")).await;
        self.fill("#token", token).await;
        self.click("button[type=submit]").await;
        let deadline = Instant::now() + PAGE_WAIT;
        while self.path().await.starts_with("/ui/sign-in") {
            assert!(Instant::now() < deadline, "sign-in did not leave the sign-in page: {}", self.text().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
