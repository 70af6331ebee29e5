//! The command line: the offline commands (`kurir catalog`, `kurir completions`), `kurir.toml`, and `kurir bench`
//! (which runs its own embedded server and receivers on 127.0.0.1).

use std::process::Command;

use serde_json::{json, Value};

/// Runs `kurir` with `args`; returns whether it succeeded, its stdout and its stderr.
fn kurir(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kurir")).args(args).output().unwrap_or_else(|err| panic!("{err}"));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn the_bench_loses_nothing_and_reports_latency_in_both_modes() {
    let (ok, out, said) = kurir(&["bench", "--events", "500", "--json"]);
    let figures: Value = serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out} {said}"));
    assert!(ok, "{said}");
    assert_eq!(
        (&figures["deliveries"], &figures["duplicates"], &figures["missing"]),
        (&json!(500), &json!(0), &json!(0))
    );
    // The server ran as the bench's child process: its own CPU time and memory are reported.
    let server = |field: &str| figures["server"][field].as_f64().unwrap_or(-1.0);
    assert!(server("cpu_secs") > 0.0 && server("peak_rss_mib") > 1.0, "{out}");
    assert!(figures["steady_deliveries_per_sec"].as_f64().unwrap_or(-1.0) > 0.0, "{out}");
    let (ok, out, said) = kurir(&["bench", "--events", "300", "--receivers-down", "--json"]);
    let figures: Value = serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out} {said}"));
    assert!(ok, "{said}");
    assert_eq!((&figures["duplicates"], &figures["missing"]), (&json!(0), &json!(0)), "{out}");
    assert!(figures["drain_deliveries_per_sec"].as_f64().unwrap_or(-1.0) > 0.0, "{out}");
    let (ok, out, said) = kurir(&["bench", "--paced", "--rate", "200", "--duration-secs", "1", "--json"]);
    let figures: Value = serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out} {said}"));
    assert!(ok, "{said}");
    assert_eq!((&figures["healthy_deliveries"], &figures["expected"]), (&json!(200), &json!(200)), "{out}");
    let latency = |q: &str| figures["latency_ms"][q].as_f64().unwrap_or(-1.0);
    assert!(0.0 < latency("p50") && latency("p50") <= latency("p99") && latency("p99") <= latency("max"), "{out}");
}

/// `kurir bench --url`: a server that is already running, measured with the same figures; its CPU and memory
/// through `--server-pid`. A server that is not on this machine is refused (a benchmark loads only loopback).
#[tokio::test]
async fn the_bench_measures_a_running_server_at_its_url() {
    use crate::util::{Kurir, ADMIN_TOKEN};
    let server = Kurir::start().await;
    let pid = server.pid().unwrap_or_else(|| panic!("the server runs")).to_string();
    let url = server.base.clone();
    let args = ["bench", "--url", &url, "--admin-token", ADMIN_TOKEN, "--server-pid", &pid, "--events", "300"];
    let args: Vec<String> = args.iter().map(|a| a.to_string()).chain(["--json".into()]).collect();
    let (ok, out, said) =
        tokio::task::spawn_blocking(move || kurir(&args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
    let figures: Value = serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out} {said}"));
    assert!(ok, "{said}");
    assert_eq!((&figures["deliveries"], &figures["missing"]), (&json!(300), &json!(0)), "{out}");
    assert!(figures["server"]["peak_rss_mib"].as_f64().unwrap_or(-1.0) > 1.0, "{out}");

    let (ok, _, said) = kurir(&["bench", "--url", "http://192.0.2.1:8780", "--admin-token", "x", "--events", "1"]);
    assert!(!ok && said.contains("--url must be a server on this machine"), "{said}");
}

#[test]
fn the_catalog_is_listed_and_shown_without_a_server() {
    let (ok, table, _) = kurir(&["catalog", "list"]);
    assert!(ok && table.contains("productCreated") && table.contains("ADDPRODUCT"), "{table}");
    let (ok, zort, _) = kurir(&["catalog", "list", "--platform", "zort", "--json"]);
    let rows: Vec<Value> = serde_json::from_str(&zort).unwrap_or_else(|err| panic!("{err}: {zort}"));
    assert!(ok && rows.len() == 29 && rows.iter().all(|r| r["platform"] == "zort"), "{zort}");

    let (ok, shown, _) = kurir(&["catalog", "show", "productCreated", "--json"]);
    let detail: Value = serde_json::from_str(&shown).unwrap_or_else(|err| panic!("{err}: {shown}"));
    assert!(ok && detail["name"] == "productCreated" && detail["schema"].is_object(), "{shown}");
    assert_eq!(detail["ordering"]["entity"], "product", "{shown}");

    let (ok, _, said) = kurir(&["catalog", "show", "productCreatd"]);
    assert!(!ok, "an unknown type is an error");
    assert_eq!(said.trim().lines().count(), 1, "one clear line: {said}");
    assert!(said.contains("productCreatd") && said.contains("kurir catalog list"), "{said}");
}

#[test]
fn completions_are_printed_for_a_shell() {
    let (ok, script, _) = kurir(&["completions", "bash"]);
    assert!(ok && script.contains("kurir") && script.contains("catalog"), "{script}");
    let (ok, _, said) = kurir(&["completions", "tcsh-not-a-shell"]);
    assert!(!ok && said.contains("invalid value"), "{said}");
}

/// `kurir.toml`: its settings apply under the flags and KURIR_* variables; logs as JSON; an access log line.
#[tokio::test]
async fn a_config_file_sets_what_flags_and_variables_leave_and_logs_go_out_as_json() {
    use crate::util::{Kurir, Options, ADMIN_TOKEN};
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let config = dir.path().join("kurir.toml");
    // `log` is also set by the test's KURIR_LOG variable (which wins); `log_format` only here.
    std::fs::write(&config, "log_format = \"json\"\nlog = \"error\"\n").unwrap_or_else(|err| panic!("{err}"));
    let config_arg = config.to_string_lossy().into_owned();
    let options = Options {
        extra_args: vec!["--config".into(), config_arg.clone(), "--log".into(), "info,kurir::access=debug".into()],
        ..Options::standard()
    };
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap_or_else(|err| panic!("{err}"));
    let kurir = Kurir::launch(&data_dir, options).await;
    let (status, _) = kurir.admin().get("/v1/tenants").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let log = crate::util::eventually("the access log line", std::time::Duration::from_secs(5), || async {
        let log = kurir.log();
        log.contains("kurir::access").then_some(log)
    })
    .await;
    let lines: Vec<Value> = log.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    assert!(!lines.is_empty() && lines.len() == log.lines().count(), "every line is JSON:\n{log}");
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "kurir is listening"),
        "info lines: the flag beats the file"
    );
    let access = lines.iter().find(|l| l["target"] == "kurir::access").cloned().unwrap_or_default();
    assert_eq!(access["fields"]["route"], "/v1/tenants", "{access}");
    assert_eq!(access["fields"]["status"], 200);
    drop(kurir);

    // A key the file may not hold is refused, by name, and kurir does not start.
    std::fs::write(&config, "lisen = \"0.0.0.0:1\"\n").unwrap_or_else(|err| panic!("{err}"));
    let output = Command::new(env!("CARGO_BIN_EXE_kurir"))
        .args(["serve", "--config", &config_arg])
        .env("KURIR_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && said.contains("unknown setting `lisen`"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
}
