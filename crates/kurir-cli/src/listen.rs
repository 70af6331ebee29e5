//! `kurir listen`: a webhook receiver on this machine for an integrator at work. Each delivery is decoded in
//! whatever dialect it came (kurir-verify), its signature checked against the secrets it knows, printed, and
//! optionally forwarded to the integrator's own service, whose answer goes back to kurir. With `--endpoint-for`,
//! an endpoint pointing here is created through the API and removed on exit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kurir_verify::{decode, verify_request, Request, VerifyKey};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::cli::ListenArgs;
use crate::client::ApiClient;

/// How long a forwarded request may take before kurir is answered 504.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

struct Listener {
    secrets: Vec<VerifyKey>,
    forward: Option<(reqwest::Client, String)>,
    json: bool,
    received: AtomicU64,
    max: Option<u64>,
    stop: CancellationToken,
}

/// The endpoint `--endpoint-for` made, to remove on exit.
struct Made {
    client: ApiClient,
    path: String,
}

pub async fn run(args: ListenArgs) -> anyhow::Result<()> {
    let socket = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let address = socket.local_addr()?;
    let mut secrets = parse_secrets(&args.secrets)?;
    let mut made = None;
    if let Some(endpoint) = &args.endpoint {
        let client = ApiClient::new(&args.server)?;
        let tenant = client.tenant(args.tenant.as_deref()).await?;
        let shown = client.get(&format!("/v1/tenants/{tenant}/endpoints/{endpoint}/secret")).await?;
        secrets.extend(parse_secrets(&[shown["secret"].as_str().unwrap_or_default().to_owned()])?);
    }
    if let Some(tenant) = &args.endpoint_for {
        let client = ApiClient::new(&args.server)?;
        let (path, secret) = create_endpoint(&client, tenant, &args, address).await?;
        secrets.push(secret);
        made = Some(Made { client, path });
    }
    let forward = match &args.forward_to {
        Some(url) => {
            reqwest::Url::parse(url).map_err(|err| anyhow!("--forward-to {url} is not a URL: {err}"))?;
            let _ = rustls::crypto::ring::default_provider().install_default();
            let http = reqwest::Client::builder().no_proxy().timeout(FORWARD_TIMEOUT).build()?;
            Some((http, url.clone()))
        }
        None => None,
    };
    let stop = CancellationToken::new();
    let listener = Arc::new(Listener {
        secrets,
        forward,
        json: args.json,
        received: AtomicU64::new(0),
        max: args.max,
        stop: stop.clone(),
    });
    let checked = match listener.secrets.len() {
        0 => "signatures not checked: give --secret, --endpoint or --endpoint-for".to_owned(),
        n => format!("signatures checked against {n} secret{}", if n == 1 { "" } else { "s" }),
    };
    eprintln!("kurir listen: receiving on http://{address} ({checked}); Ctrl-C stops");
    let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&listener));
    let stopping = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.cancel();
    });
    let served = axum::serve(socket, app).with_graceful_shutdown(stop.cancelled_owned()).await;
    if let Some(made) = made {
        made.client.delete(&made.path).await.context("cannot remove the endpoint it made")?;
        eprintln!("kurir listen: removed the endpoint {}", made.path.rsplit('/').next().unwrap_or_default());
    }
    served.context("the listener failed")
}

fn parse_secrets(texts: &[String]) -> anyhow::Result<Vec<VerifyKey>> {
    texts.iter().map(|text| VerifyKey::parse(text.trim()).map_err(|err| anyhow!("--secret: {err}"))).collect()
}

/// Makes an endpoint of `tenant` that delivers here; its API path and signing secret.
async fn create_endpoint(
    client: &ApiClient,
    tenant: &str,
    args: &ListenArgs,
    address: std::net::SocketAddr,
) -> anyhow::Result<(String, VerifyKey)> {
    let mut body = json!({
        "url": format!("http://{address}/hooks/{{event}}"),
        "dialect": args.dialect,
        "description": "kurir listen",
    });
    if !args.events.is_empty() {
        body["event_types"] = json!(args.events);
    }
    if args.dialect == "zort" {
        let key = || format!("listen-{:016x}", rand::random::<u64>());
        body["zort"] = json!({"key1": key(), "key2": key(), "key3": key()});
    }
    let made = client.post(&format!("/v1/tenants/{tenant}/endpoints"), &body).await?;
    let id = made["id"].as_str().ok_or_else(|| anyhow!("kurir answered no endpoint id"))?;
    let secret = parse_secrets(&[made["secret"].as_str().unwrap_or_default().to_owned()])?.remove(0);
    eprintln!("kurir listen: made endpoint {id} of {tenant} ({}), removed when this stops", args.dialect);
    Ok((format!("/v1/tenants/{tenant}/endpoints/{id}"), secret))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// One delivery: decode, verify, print, forward, answer.
async fn receive(State(listener): State<Arc<Listener>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let target = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| uri.path().to_owned());
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let request = Request { target: &target, headers: &borrowed, body: &body };
    let decoded = decode(&request);
    let verdict =
        if listener.secrets.is_empty() { None } else { Some(verify_request(&request, &listener.secrets, now_secs())) };
    let forwarded = match &listener.forward {
        Some((http, url)) => Some(forward(http, url, &target, &pairs, body.clone()).await),
        None => None,
    };
    print_delivery(&listener, &target, &decoded, verdict.as_ref(), forwarded.as_ref());
    let answer = match (forwarded, &verdict, &decoded) {
        (Some(Ok(answer)), _, _) => (answer.status, answer.body).into_response(),
        (Some(Err(error)), _, _) => (StatusCode::BAD_GATEWAY, error).into_response(),
        (None, Some(Err(error)), _) => (StatusCode::UNAUTHORIZED, error.to_string()).into_response(),
        (None, _, Err(error)) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        (None, _, Ok(_)) => (StatusCode::OK, "ok").into_response(),
    };
    let count = listener.received.fetch_add(1, Ordering::SeqCst) + 1;
    if listener.max.is_some_and(|max| count >= max) {
        listener.stop.cancel();
    }
    answer
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// What the integrator's service answered.
struct Answer {
    status: StatusCode,
    body: Bytes,
    elapsed: Duration,
}

async fn forward(
    http: &reqwest::Client,
    url: &str,
    target: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<Answer, String> {
    // The request's query goes along (ZORT's `?method=` names the trigger).
    let url = match target.split_once('?') {
        Some((_, query)) if !url.contains('?') => format!("{url}?{query}"),
        _ => url.to_owned(),
    };
    let mut request = http.post(&url).body(body);
    for (name, value) in headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection" | "transfer-encoding") {
            request = request.header(name, value);
        }
    }
    let started = Instant::now();
    let response = request.send().await.map_err(|err| format!("{url} could not be reached: {err}"))?;
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = response.bytes().await.unwrap_or_default();
    Ok(Answer { status, body, elapsed: started.elapsed() })
}

fn print_delivery(
    listener: &Listener,
    target: &str,
    decoded: &Result<kurir_verify::Webhook, kurir_verify::VerifyError>,
    verdict: Option<&Result<(), kurir_verify::VerifyError>>,
    forwarded: Option<&Result<Answer, String>>,
) {
    let signature = match verdict {
        None => "not checked".to_owned(),
        Some(Ok(())) => "ok".to_owned(),
        Some(Err(err)) => format!("FAILED: {err}"),
    };
    let forwarded_json = forwarded.map(|f| match f {
        Ok(answer) => json!({"status": answer.status.as_u16(), "ms": answer.elapsed.as_millis() as u64}),
        Err(error) => json!({"error": error}),
    });
    if listener.json {
        let line = match decoded {
            Ok(webhook) => json!({
                "target": target,
                "dialect": format!("{:?}", webhook.dialect).to_lowercase(),
                "type": webhook.event_type,
                "id": webhook.id,
                "params": webhook.params,
                "payload": webhook.payload,
                "signature": signature,
                "forwarded": forwarded_json,
            }),
            Err(err) => json!({"target": target, "error": err.to_string(), "signature": signature}),
        };
        println!("{line}");
        return;
    }
    let clock = kurir_api::time::rfc3339(now_secs() * 1000);
    match decoded {
        Ok(webhook) => {
            let dialect = format!("{:?}", webhook.dialect).to_lowercase();
            let id = webhook.id.as_deref().unwrap_or("-");
            println!("{clock}  {}  ({dialect})  {id}  signature {signature}", webhook.event_type);
            for (name, value) in &webhook.params {
                println!("  {name} = {value}");
            }
            println!("{}", serde_json::to_string_pretty(&webhook.payload).unwrap_or_default());
        }
        Err(err) => println!("{clock}  {target}: not a webhook kurir sends ({err}); signature {signature}"),
    }
    match forwarded {
        Some(Ok(answer)) => {
            let excerpt: String = String::from_utf8_lossy(&answer.body).chars().take(200).collect();
            println!("  → answered {} in {} ms {}", answer.status.as_u16(), answer.elapsed.as_millis(), excerpt.trim());
        }
        Some(Err(error)) => println!("  → {error}"),
        None => {}
    }
}
