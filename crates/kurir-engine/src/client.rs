//! The HTTP client that sends every attempt: one pool of connections for all endpoints, no redirects (a
//! redirect is a failure), and a DNS resolver that drops private, loopback and link-local answers unless the
//! operator allows private targets. Checking each DNS answer, not only the URL, stops a name that resolves to
//! 127.0.0.1 or to a cloud metadata address.

use std::net::SocketAddr;
use std::sync::Arc;

use kurir_core::ssrf;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::EngineError;

/// The error the resolver returns when every answer was forbidden; the attempt classifies it as `blocked`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to private or loopback addresses, which endpoints may not reach")]
pub struct BlockedAddress {
    pub host: String,
}

struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let answers: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = answers.into_iter().filter(|addr| !ssrf::is_forbidden(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(BlockedAddress { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Builds the shared client. `allow_private_targets` turns the SSRF guard off (tests, on-premises receivers).
/// `max_idle_per_host` should match the most attempts one endpoint may have in flight: a smaller pool closes
/// connections after each burst and pays for new TCP (and TLS) handshakes on the next one.
pub fn build(allow_private_targets: bool, max_idle_per_host: usize) -> Result<reqwest::Client, EngineError> {
    // reqwest is built without a default TLS crypto provider; ring is ours. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kurir/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(max_idle_per_host)
        .tcp_nodelay(true)
        .no_proxy();
    if !allow_private_targets {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().map_err(EngineError::Client)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn the_resolver_drops_loopback_answers() {
        let Ok(name) = Name::from_str("localhost") else { panic!("localhost is a valid name") };
        let err = match GuardedResolver.resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to allowed addresses: {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
    }
}
