//! The HTTP clients. Attempts go out through [`Sender`]: hyper's client with one pool of connections for all
//! endpoints, TLS by rustls with the platform's verifier (what reqwest used before; hyper directly costs a tenth
//! less CPU per delivery, BENCHMARKS.md session 12), no redirects (a redirect is a failure, and hyper follows
//! none), and a DNS resolver that drops private, loopback and link-local answers unless the operator allows
//! private targets. Checking each DNS answer, not only the URL, stops a name that resolves to 127.0.0.1 or to a
//! cloud metadata address. OAuth token requests, rare and form-encoded, use reqwest with the same resolver
//! ([`build`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kurir_core::ssrf;
use reqwest::dns::{Addrs, Resolve, Resolving};

use crate::EngineError;

/// The error the resolver returns when every answer was forbidden; the attempt classifies it as `blocked`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to private or loopback addresses, which endpoints may not reach")]
pub struct BlockedAddress {
    pub host: String,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The client attempts are sent with.
pub type Sender =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector<Resolver>>, Full<Bytes>>;

/// Resolves a host name, keeping only the answers endpoints may reach (all of them when `guarded` is off).
async fn resolve(host: String, guarded: bool) -> Result<Vec<SocketAddr>, BoxError> {
    let answers: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if !guarded {
        return Ok(answers);
    }
    let allowed: Vec<SocketAddr> = answers.into_iter().filter(|addr| !ssrf::is_forbidden(addr.ip())).collect();
    if allowed.is_empty() {
        return Err(Box::new(BlockedAddress { host }));
    }
    Ok(allowed)
}

/// The resolver of [`Sender`]'s connector.
#[derive(Clone, Copy)]
pub struct Resolver {
    guarded: bool,
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let (host, guarded) = (name.as_str().to_owned(), self.guarded);
        Box::pin(async move { Ok(resolve(host, guarded).await?.into_iter()) })
    }
}

/// The same rule for reqwest (OAuth token requests).
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move { Ok(Box::new(resolve(host, true).await?.into_iter()) as Addrs) })
    }
}

/// Builds the client attempts are sent with. `allow_private_targets` turns the SSRF guard off (tests,
/// on-premises receivers). `max_idle_per_host` should match the most attempts one endpoint may have in flight: a
/// smaller pool closes connections after each burst and pays for new TCP (and TLS) handshakes on the next one.
pub fn sender(allow_private_targets: bool, max_idle_per_host: usize) -> Result<Sender, EngineError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|err| EngineError::Tls(err.to_string()))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| EngineError::Tls(err.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let mut http = HttpConnector::new_with_resolver(Resolver { guarded: !allow_private_targets });
    http.set_nodelay(true);
    // Probes on idle connections, so that one to a receiver that vanished fails at once instead of costing the
    // next attempt its whole timeout (reqwest's defaults, which attempts had before).
    http.set_keepalive(Some(Duration::from_secs(15)));
    http.set_keepalive_interval(Some(Duration::from_secs(15)));
    http.set_keepalive_retries(Some(3));
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    http.set_tcp_user_timeout(Some(Duration::from_secs(30)));
    http.enforce_http(false); // https too: the TLS layer below takes it
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    // The pool's timer closes idle connections in the background (after 90 s); without it they would stay open
    // until the receiver closes them, one per quiet endpoint.
    Ok(hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_max_idle_per_host(max_idle_per_host)
        .build(https))
}

/// Builds the reqwest client of OAuth token requests, with the same rule as [`sender`].
pub fn build(allow_private_targets: bool, max_idle_per_host: usize) -> Result<reqwest::Client, EngineError> {
    // reqwest is built without a default TLS crypto provider; ring is ours. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(max_idle_per_host)
        .tcp_nodelay(true)
        .no_proxy();
    if !allow_private_targets {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().map_err(EngineError::Client)
}

/// Who kurir says it is, on every request it sends.
pub const USER_AGENT: &str = concat!("kurir/", env!("CARGO_PKG_VERSION"));

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tower_service::Service;

    use super::*;

    #[tokio::test]
    async fn the_resolver_drops_loopback_answers_unless_private_targets_are_allowed() {
        let Ok(name) = Name::from_str("localhost") else { panic!("localhost is a valid name") };
        let err = match (Resolver { guarded: true }).call(name.clone()).await {
            Ok(addrs) => panic!("localhost resolved to allowed addresses: {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
        let allowed = (Resolver { guarded: false }).call(name).await.map(Iterator::count).unwrap_or(0);
        assert!(allowed > 0, "with private targets allowed, localhost resolves");
    }

    #[tokio::test]
    async fn reqwest_s_resolver_follows_the_same_rule() {
        let Ok(name) = reqwest::dns::Name::from_str("localhost") else { panic!("localhost is a valid name") };
        let err = match GuardedResolver.resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to allowed addresses: {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
    }
}
