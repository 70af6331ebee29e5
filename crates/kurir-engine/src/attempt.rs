//! One HTTP try of a delivery, from claim to outcome.

use std::time::{Duration, Instant};

use kurir_core::catalog::Catalog;
use kurir_core::delivery::{next_step, Attempt, AttemptErrorKind, NextStep, Verdict, RESPONSE_EXCERPT_BYTES};
use kurir_core::endpoint::EndpointAuth;
use kurir_core::id::AttemptId;
use kurir_core::retry::{parse_retry_after_secs, FailureCause};
use kurir_core::ssrf;
use kurir_store::{Claim, Outcome};
use kurir_wire::OutboundRequest;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use crate::client::BlockedAddress;
use crate::now_ms;
use crate::oauth::TokenCache;

/// What the wire said, before the schedule is consulted.
struct Response {
    status: Option<u16>,
    retry_after_secs: Option<u64>,
    error_kind: Option<AttemptErrorKind>,
    error: Option<String>,
    excerpt: String,
    headers: Vec<(String, String)>,
}

impl Response {
    fn failed(kind: AttemptErrorKind, error: String) -> Self {
        Response {
            status: None,
            retry_after_secs: None,
            error_kind: Some(kind),
            error: Some(error),
            excerpt: String::new(),
            headers: Vec::new(),
        }
    }
}

/// What an attempt needs besides its claim: the shared clients, the catalog, the OAuth token cache.
pub struct Context {
    /// Sends the attempts.
    pub sender: crate::client::Sender,
    /// Asks OAuth token endpoints for tokens.
    pub client: reqwest::Client,
    pub catalog: std::sync::Arc<Catalog>,
    pub tokens: TokenCache,
    pub allow_private_targets: bool,
    /// Where each attempt is counted, by outcome and dialect.
    pub metrics: Option<std::sync::Arc<kurir_metrics::Metrics>>,
}

/// Sends one attempt of `claim` and decides where the delivery goes next.
pub async fn run(context: &Context, claim: &Claim) -> Outcome {
    let started_at_ms = now_ms();
    let clock = Instant::now();
    let (response, logged) = if claim.endpoint.enabled {
        match encode(&context.catalog, claim, started_at_ms) {
            Ok(request) => {
                let logged = kurir_wire::loggable(&request, &claim.endpoint, claim.endpoint.auth.is_some());
                (send(context, claim, request).await, Some(logged))
            }
            Err(error) => (Response::failed(AttemptErrorKind::Encode, error), None),
        }
    } else {
        let reason = claim.endpoint.disabled_reason.clone().unwrap_or_else(|| "endpoint is disabled".into());
        (Response::failed(AttemptErrorKind::Disabled, reason), None)
    };
    let duration_ms = u32::try_from(clock.elapsed().as_millis()).unwrap_or(u32::MAX);
    let mut outcome = decide(claim, response, started_at_ms, duration_ms, rand::random_range(-1.0..=1.0));
    outcome.attempt.request = logged;
    if let Some(metrics) = &context.metrics {
        metrics.attempt(outcome.next.state().as_str(), claim.endpoint.dialect.as_str(), clock.elapsed());
    }
    outcome
}

fn encode(catalog: &Catalog, claim: &Claim, now_ms: i64) -> Result<OutboundRequest, String> {
    let trigger = catalog.get(&claim.event.event_type).and_then(|t| t.zort.as_ref());
    kurir_wire::encode(&claim.event, &claim.endpoint, trigger, now_ms).map_err(|err| err.to_string())
}

/// Sends the request; with OAuth, with a bearer token, and once more with a fresh token after a 401.
async fn send(context: &Context, claim: &Claim, request: OutboundRequest) -> Response {
    let url = match reqwest::Url::parse(&request.url) {
        Ok(url) => url,
        Err(err) => return Response::failed(AttemptErrorKind::Encode, format!("invalid URL: {err}")),
    };
    if !context.allow_private_targets && literal_ip_is_forbidden(&url) {
        let error = format!("{} is a private or loopback address", url.host_str().unwrap_or_default());
        return Response::failed(AttemptErrorKind::Blocked, error);
    }
    let timeout_ms = claim.endpoint.timeout_ms;
    let Some(auth) = &claim.endpoint.auth else {
        return post(&context.sender, &url, &request, None, timeout_ms).await;
    };
    // The token URL obeys the SSRF rule too (its host names are checked by the client's resolver).
    let EndpointAuth::OAuth2 { token_url, .. } = auth;
    let token_url_ok =
        reqwest::Url::parse(token_url).is_ok_and(|u| context.allow_private_targets || !literal_ip_is_forbidden(&u));
    if !token_url_ok {
        return Response::failed(AttemptErrorKind::Blocked, "the token URL is a private or loopback address".into());
    }
    let mut stale: Option<String> = None;
    for _ in 0..2 {
        let token = match context.tokens.token(&context.client, &claim.endpoint.id, auth, stale.as_deref()).await {
            Ok(token) => token,
            Err(error) => return Response::failed(AttemptErrorKind::Auth, error),
        };
        let answered = post(&context.sender, &url, &request, Some(&token), timeout_ms).await;
        if answered.status != Some(401) || stale.is_some() {
            return answered;
        }
        stale = Some(token);
    }
    Response::failed(AttemptErrorKind::Auth, "the endpoint refused a fresh token".into())
}

/// Sends the request and reads what the wire answered: status, `Retry-After`, and the first 4 KiB of the body,
/// all within `timeout_ms` (a body that runs out of time midway still leaves its status).
async fn post(
    sender: &crate::client::Sender,
    url: &reqwest::Url,
    request: &OutboundRequest,
    bearer: Option<&str>,
    timeout_ms: u32,
) -> Response {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(u64::from(timeout_ms));
    let mut resent = 0;
    let response = loop {
        let request = match http_request(url, request, bearer) {
            Ok(request) => request,
            Err(err) => return Response::failed(AttemptErrorKind::Encode, format!("cannot build the request: {err}")),
        };
        match tokio::time::timeout_at(deadline, sender.request(request)).await {
            Err(_) => return timed_out(timeout_ms),
            Ok(Ok(response)) => break response,
            Ok(Err(err)) if resent < RESENDS_OF_UNREAD && unread(&err) => resent += 1,
            Ok(Err(err)) => return classify_error(&err, timeout_ms),
        }
    };
    let status = response.status().as_u16();
    let headers = kurir_wire::loggable_response_headers(
        response.headers().iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
    );
    let retry_after_secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after_secs(v, now_ms()));
    let excerpt = read_excerpt(response.into_body(), deadline).await;
    let success = (200..300).contains(&status);
    Response {
        status: Some(status),
        retry_after_secs,
        error_kind: (!success).then_some(AttemptErrorKind::Status),
        error: (!success).then(|| format!("HTTP {status}")),
        excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
        headers,
    }
}

/// How many times a request the receiver did not read is sent again within its timeout (see [`unread`]).
const RESENDS_OF_UNREAD: usize = 2;

/// Whether the receiver said it did not read the request, so that sending it again cannot deliver it twice: an
/// HTTP/2 server closing the connection gracefully (GOAWAY with NO_ERROR, as nginx does every thousand requests)
/// or refusing the stream (REFUSED_STREAM, RFC 9113 section 8.7). reqwest resent these; attempts do too.
fn unread(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).filter_map(|cause| cause.downcast_ref::<h2::Error>()).any(|h2| {
        let goodbye = h2.is_go_away() && h2.reason() == Some(h2::Reason::NO_ERROR);
        let refused = h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM);
        h2.is_remote() && (goodbye || refused)
    })
}

/// An error and its sources, outermost first.
fn causes<'e>(
    err: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |cause| cause.source())
}

/// The request as the wire carries it: the encoded headers, kurir's `user-agent` and `accept: */*` unless the
/// endpoint sets its own (what reqwest added before), and a bearer token if there is one.
fn http_request(
    url: &reqwest::Url,
    request: &OutboundRequest,
    bearer: Option<&str>,
) -> Result<http::Request<Full<Bytes>>, http::Error> {
    let mut builder = http::Request::post(url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    for (name, default) in [(http::header::USER_AGENT, crate::client::USER_AGENT), (http::header::ACCEPT, "*/*")] {
        if request.header(name.as_str()).is_none() {
            builder = builder.header(name, default);
        }
    }
    if let Some(token) = bearer {
        builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Full::new(Bytes::from(request.body.clone())))
}

/// The first [`RESPONSE_EXCERPT_BYTES`] of a body, or what came of it by `deadline`.
async fn read_excerpt(mut body: hyper::body::Incoming, deadline: tokio::time::Instant) -> Vec<u8> {
    let mut excerpt = Vec::new();
    while excerpt.len() < RESPONSE_EXCERPT_BYTES {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    excerpt.extend_from_slice(data);
                }
            }
            Ok(None | Some(Err(_))) | Err(_) => break,
        }
    }
    excerpt.truncate(RESPONSE_EXCERPT_BYTES);
    excerpt
}

fn timed_out(timeout_ms: u32) -> Response {
    Response::failed(AttemptErrorKind::Timeout, format!("no response within {timeout_ms} ms"))
}

/// An IP literal in the URL never reaches the resolver, so the SSRF rule is checked here too.
fn literal_ip_is_forbidden(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ssrf::is_forbidden(ip.into()),
        Some(url::Host::Ipv6(ip)) => ssrf::is_forbidden(ip.into()),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => true,
    }
}

/// A request that got no answer: blocked by the resolver, timed out in the operating system (a connect or
/// `TCP_USER_TIMEOUT` shorter than the endpoint's), or the connection failed (refused, reset, TLS).
fn classify_error(err: &(dyn std::error::Error + 'static), timeout_ms: u32) -> Response {
    for cause in causes(err) {
        if let Some(blocked) = cause.downcast_ref::<BlockedAddress>() {
            return Response::failed(AttemptErrorKind::Blocked, blocked.to_string());
        }
        if cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return timed_out(timeout_ms);
        }
    }
    // The innermost cause says what happened ("Connection refused"); the outer ones only that sending failed.
    let innermost = causes(err).last().map_or_else(|| err.to_string(), ToString::to_string);
    Response::failed(AttemptErrorKind::Connect, innermost)
}

/// Turns the wire's answer into an outcome: the attempt row, the next state, and whether to disable the endpoint.
fn decide(claim: &Claim, response: Response, started_at_ms: i64, duration_ms: u32, jitter: f64) -> Outcome {
    let attempt_no = claim.delivery.attempts + 1;
    let verdict = match (response.status, response.error_kind) {
        (_, Some(AttemptErrorKind::Disabled)) => Verdict::Gone,
        (Some(status), _) => Verdict::for_status(status, response.retry_after_secs),
        (None, Some(AttemptErrorKind::Timeout)) => {
            Verdict::Failure { retry_after_secs: None, cause: FailureCause::Timeout }
        }
        (None, _) => Verdict::Failure { retry_after_secs: None, cause: FailureCause::NoResponse },
    };
    let finished_at_ms = started_at_ms + i64::from(duration_ms);
    let next = next_step(verdict, attempt_no, &claim.endpoint.schedule(), finished_at_ms, jitter);
    let disable_endpoint = (response.status == Some(410)).then(|| "the receiver answered 410 Gone".to_owned());
    if let NextStep::Dead = next {
        tracing::info!(delivery = %claim.delivery.id, attempts = attempt_no, "delivery is dead");
    }
    Outcome {
        tenant: claim.delivery.tenant.clone(),
        delivery_id: claim.delivery.id.clone(),
        endpoint_id: claim.endpoint.id.clone(),
        lease_token: claim.lease_token,
        attempt: Attempt {
            id: AttemptId::generate(started_at_ms.max(0) as u64, rand::random()),
            tenant: claim.delivery.tenant.clone(),
            delivery_id: claim.delivery.id.clone(),
            attempt_no,
            started_at_ms,
            duration_ms,
            status: response.status,
            error_kind: response.error_kind,
            error: response.error,
            response_excerpt: response.excerpt,
            request: None,
            response_headers: response.headers,
        },
        next,
        disable_endpoint,
        event_id: claim.delivery.event_id.clone(),
        event_type: claim.delivery.event_type.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a source, as a client's errors wrap what happened.
    #[derive(Debug, thiserror::Error)]
    #[error("sending failed")]
    struct Wrapped(#[source] Box<dyn std::error::Error + Send + Sync>);

    fn wrapped(cause: impl std::error::Error + Send + Sync + 'static) -> Wrapped {
        Wrapped(Box::new(Wrapped(Box::new(cause))))
    }

    #[test]
    fn what_went_wrong_is_read_from_the_innermost_cause() {
        let refused = wrapped(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused"));
        let response = classify_error(&refused, 5_000);
        assert_eq!(
            (response.error_kind, response.error.as_deref()),
            (Some(AttemptErrorKind::Connect), Some("Connection refused"))
        );
        let blocked = classify_error(&wrapped(BlockedAddress { host: "metadata.internal".into() }), 5_000);
        assert_eq!(blocked.error_kind, Some(AttemptErrorKind::Blocked));
        let os_timeout = wrapped(std::io::Error::new(std::io::ErrorKind::TimedOut, "Connection timed out"));
        let response = classify_error(&os_timeout, 5_000);
        assert_eq!(response.error_kind, Some(AttemptErrorKind::Timeout), "an OS timeout is a timeout, as reqwest said");
        assert_eq!(response.error.as_deref(), Some("no response within 5000 ms"));
    }

    #[test]
    fn only_a_request_the_receiver_did_not_read_is_sent_again() {
        let ours = wrapped(h2::Error::from(h2::Reason::REFUSED_STREAM));
        assert!(!unread(&ours), "a stream this side reset may have been read");
        let reset = wrapped(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"));
        assert!(!unread(&reset), "a reset connection may have delivered the request");
    }

    /// The error hyper's client (the one attempts go out through, speaking HTTP/2 here without TLS) gets when a
    /// real HTTP/2 server on loopback resets its request's stream with `reason`.
    async fn stream_reset_by_the_server(reason: h2::Reason) -> hyper_util::client::legacy::Error {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            let mut connection = h2::server::handshake(socket).await.unwrap_or_else(|e| panic!("{e}"));
            while let Some(Ok((_request, mut respond))) = connection.accept().await {
                respond.send_reset(reason);
            }
        });
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build_http::<Full<Bytes>>();
        let request = http::Request::post(format!("http://{address}/hook"))
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap_or_else(|e| panic!("{e}"));
        let outcome = tokio::time::timeout(Duration::from_secs(30), client.request(request)).await;
        server.abort();
        match outcome {
            Ok(Err(err)) => err,
            Ok(Ok(response)) => panic!("the server answered {}", response.status()),
            Err(_) => panic!("no answer from the server within 30 s"),
        }
    }

    #[tokio::test]
    async fn a_stream_the_receiver_refused_is_unread_and_one_it_reset_otherwise_is_not() {
        let refused = stream_reset_by_the_server(h2::Reason::REFUSED_STREAM).await;
        assert!(unread(&refused), "RFC 9113 8.7: a refused stream was not processed: {refused:?}");
        let failed = stream_reset_by_the_server(h2::Reason::INTERNAL_ERROR).await;
        assert!(!unread(&failed), "a stream reset for another reason may have been processed: {failed:?}");
    }

    fn outbound(headers: &[(&str, &str)]) -> OutboundRequest {
        let headers = headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
        OutboundRequest { method: "POST", url: "http://127.0.0.1:9/hook".into(), headers, body: b"{}".to_vec() }
    }

    #[test]
    fn kurir_s_user_agent_and_accept_go_out_unless_the_endpoint_sets_its_own() -> Result<(), http::Error> {
        let url = reqwest::Url::parse("http://127.0.0.1:9/hook").unwrap_or_else(|e| panic!("{e}"));
        let plain = http_request(&url, &outbound(&[("content-type", "application/json")]), Some("t0k"))?;
        let headers = plain.headers();
        assert_eq!(headers.get("user-agent").and_then(|v| v.to_str().ok()), Some(crate::client::USER_AGENT));
        assert_eq!(headers.get("accept").and_then(|v| v.to_str().ok()), Some("*/*"));
        assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer t0k"));
        let own = http_request(&url, &outbound(&[("User-Agent", "acme-pos/2"), ("Accept", "application/json")]), None)?;
        let agents: Vec<_> = own.headers().get_all("user-agent").iter().collect();
        assert_eq!(agents, ["acme-pos/2"], "one user-agent, the endpoint's");
        assert_eq!(own.headers().get_all("accept").iter().count(), 1);
        assert!(own.headers().get("authorization").is_none());
        Ok(())
    }
}
