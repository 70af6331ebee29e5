//! The OpenAPI document: served, valid OpenAPI 3.1, complete, and describing exactly the routes kurir serves.
//! (That every answer of the suite fits it is checked on every call, by `util::contract`.)

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{contract, Kurir, Receiver, Tenant, ADMIN_TOKEN};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

#[tokio::test]
async fn the_document_is_served_with_a_readable_page_and_is_what_the_code_describes() {
    let kurir = Kurir::start().await;
    let anyone = kurir.admin().with_token("");
    let (status, served) = anyone.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "the document needs no token");
    assert_eq!(&served, contract::document());
    assert_eq!(served["openapi"], "3.1.0");

    let (status, page) = anyone.get("/docs").await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap_or_default();
    for (path, item) in served["paths"].as_object().into_iter().flatten() {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let id = item[*method]["operationId"].as_str().unwrap_or_default();
            assert!(page.contains(&format!("id=\"op-{id}\"")), "/docs does not show {method} {path}");
        }
    }
}

/// Runs a Python module of the test virtualenv (tools/test makes it, with openapi-spec-validator and
/// openapi-python-client from PyPI, and sets KURIR_TEST_PYTHON); all it printed, or a loud failure.
fn python(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> String {
    let python = std::env::var("KURIR_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut command = std::process::Command::new(&python);
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap_or_else(|err| panic!("cannot run {python}: {err}; run tools/test"));
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        !said.contains("No module named"),
        "a test tool is not installed for {python}: run tools/test, or set KURIR_TEST_PYTHON:\n{said}"
    );
    assert!(output.status.success(), "{python} {args:?} failed:\n{said}");
    said
}

/// The document in a file of a temp dir.
fn document_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("temp dir: {err}"));
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, contract::document().to_string()).unwrap_or_else(|err| panic!("write: {err}"));
    (dir, file)
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    // openapi-spec-validator checks it against the specification's own schema.
    let (_dir, file) = document_file();
    python(&["-m".as_ref(), "openapi_spec_validator".as_ref(), file.as_os_str()], &[]);
}

#[tokio::test]
async fn a_client_generated_from_the_document_works() {
    let (dir, file) = document_file();
    let package = dir.path().join("kurir_client");
    let generate = ["-m", "openapi_python_client", "generate", "--meta", "none", "--path"];
    let mut args: Vec<&std::ffi::OsStr> = generate.iter().map(|a| a.as_ref()).collect();
    args.extend([file.as_os_str(), "--output-path".as_ref(), package.as_os_str()]);
    let generated = python(&args, &[]);
    // The one part it leaves out is the Prometheus scrape: it cannot read an OpenMetrics text answer.
    let left_out: Vec<&str> =
        generated.lines().filter(|l| l.starts_with("WARNING") && !l.contains("GET /metrics")).collect();
    assert!(left_out.is_empty(), "the generator left parts of the client out: {left_out:?}\n{generated}");

    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/generated_client.py");
    let (client_dir, base, hook) = (dir.path().display().to_string(), kurir.base.clone(), receiver.url.clone());
    // The receiver runs on this test's runtime: the script runs beside it, not on it.
    let printed = tokio::task::spawn_blocking(move || {
        let env = [
            ("KURIR_CLIENT_DIR", client_dir.as_str()),
            ("KURIR_URL", base.as_str()),
            ("KURIR_ADMIN_TOKEN", ADMIN_TOKEN),
            ("RECEIVER_URL", hook.as_str()),
        ];
        python(&[script.as_os_str()], &env)
    })
    .await
    .unwrap_or_else(|err| panic!("the script's thread: {err}"));
    let summary: Value = serde_json::from_str(printed.lines().rfind(|l| l.starts_with('{')).unwrap_or_default())
        .unwrap_or_else(|err| panic!("the script printed no JSON ({err}):\n{printed}"));
    assert_eq!(summary["state"], "succeeded", "{summary}");
    assert_eq!(summary["event_deliveries"], 1);
    assert_eq!(summary["listed_events"], json!([summary["event_id"]]));
    assert_eq!(summary["attempt_statuses"], json!([200]));
    assert_eq!(summary["circuit"], "closed");
    assert_eq!(summary["secret_prefix"], "whsec_");
    let received = receiver.received();
    assert_eq!(received.len(), 1, "the receiver got the one event");
    assert_eq!(received[0].header("webhook-id").map(Value::from), Some(summary["event_id"].clone()));
}

#[test]
fn every_operation_is_described_for_a_client_generator() {
    let doc = contract::document();
    let mut ids = HashSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let declared_in_path: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let operation = &item[*method];
            let what = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{what} has no operationId"));
            assert!(ids.insert(id.to_owned()), "{what}: operationId {id} is used twice");
            assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{what} has no summary");
            assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()), "{what} has no tag");
            assert!(operation.get("security").is_some(), "{what} does not say who may call it");
            let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{what}: no responses"));
            assert!(responses.keys().any(|s| s.starts_with('2')), "{what} has no success answer");
            let parameters: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in &declared_in_path {
                assert!(parameters.contains(name), "{what} does not describe its path parameter {name}");
            }
        }
    }
    assert!(ids.len() > 40, "only {} operations described", ids.len());
    // Every reference points at something the document has.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("an outside reference: {reference}"));
        assert!(doc.pointer(pointer).is_some(), "{reference} points at nothing");
    }
}

#[tokio::test]
async fn every_described_operation_is_served() {
    let kurir = Kurir::start().await;
    Tenant::create(&kurir, "acme").await;
    let admin = kurir.admin();
    for (path, item) in contract::document()["paths"].as_object().into_iter().flatten() {
        // Real values where a route needs one to be reached at all; the rest may well be 404s of their own.
        let concrete = path.replace("{tenant}", "acme").replace("{name}", "fetchLoyaltyPoints");
        let concrete: String = concrete
            .split('/')
            .map(|s| if s.starts_with('{') { "01JNOTHING0000000000000000" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET);
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let (status, answer, _) = admin.send(method.clone(), &concrete, body.as_ref(), &[]).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is described but not served");
            assert_ne!(answer["error"]["message"], "route not found", "{method} {path} is described but not served");
        }
    }
}

#[test]
fn the_contract_check_refuses_what_the_document_does_not_describe() {
    let refused = |method: &str, path: &str, status: u16, body: Value| {
        catch_unwind(AssertUnwindSafe(|| contract::check(method, path, None, status, &body))).is_err()
    };
    let tenant = json!({"id": "acme", "name": "Acme", "attempt_log": "full", "publish_rate": null,
        "retention_days": null, "zort_signature_headers": true, "created_at": "2026-11-24T00:00:00Z"});
    assert!(!refused("GET", "/v1/tenants/acme", 200, tenant.clone()), "a tenant as documented");
    assert!(refused("GET", "/v1/tenants/acme", 200, json!({"id": 7})), "a body that breaks the schema");
    assert!(refused("GET", "/v1/tenants/acme", 418, tenant), "a status the document does not list");
    assert!(refused("GET", "/v1/nowhere", 200, json!({})), "a route the document does not have");
    assert!(!refused("GET", "/v1/nowhere", 404, json!({"error": {"code": "not_found", "message": "route not found"}})));
    assert_eq!(
        contract::template_of("/v1/tenants/a/events/batch").as_deref(),
        Some("/v1/tenants/{tenant}/events/batch")
    );
}
