//! The request a dialect produces: a plain value that the engine sends.

/// One HTTP request, fully encoded. Header names are lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// `content-type` and the endpoint's own headers (names lower-cased), the start of every dialect's headers.
pub(crate) fn base_headers(content_type: &str, endpoint: &kurir_core::endpoint::Endpoint) -> Vec<(String, String)> {
    let mut headers = vec![("content-type".to_owned(), content_type.to_owned())];
    headers.extend(endpoint.headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.clone())));
    headers
}

/// Header names whose values are credentials wherever they appear (ZORT's three keys travel as `key1`..`key3`).
const SECRET_HEADERS: [&str; 7] =
    ["authorization", "proxy-authorization", "cookie", "set-cookie", "key1", "key2", "key3"];

/// Whether a header's value is a secret: a credential by name, or one of the endpoint's own headers (stored
/// sealed, so shown masked too).
fn is_secret(name: &str, endpoint: &kurir_core::endpoint::Endpoint) -> bool {
    SECRET_HEADERS.iter().any(|secret| name.eq_ignore_ascii_case(secret))
        || endpoint.headers.keys().any(|own| name.eq_ignore_ascii_case(own))
}

/// A secret value masked: an `Authorization` value keeps its scheme (`Bearer ••••••`), anything else is all mask.
fn mask(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if ["basic", "bearer"].contains(&scheme.to_ascii_lowercase().as_str()) => {
            format!("{scheme} {}", kurir_core::delivery::MASKED)
        }
        _ => kurir_core::delivery::MASKED.to_owned(),
    }
}

/// The request as the attempt log keeps it: secrets masked, the body cut at
/// [`kurir_core::delivery::REQUEST_BODY_LOGGED_BYTES`]. `bearer` says whether an OAuth token went along (its
/// header is added by the sender, not the dialect).
pub fn loggable(
    request: &OutboundRequest,
    endpoint: &kurir_core::endpoint::Endpoint,
    bearer: bool,
) -> kurir_core::delivery::SentRequest {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let shown = if is_secret(name, endpoint) { mask(value) } else { value.clone() };
            (name.clone(), shown)
        })
        .collect();
    if bearer {
        headers.push(("authorization".to_owned(), mask("Bearer token")));
    }
    let cut = request.body.len().min(kurir_core::delivery::REQUEST_BODY_LOGGED_BYTES);
    kurir_core::delivery::SentRequest {
        method: request.method.to_owned(),
        url: request.url.clone(),
        headers,
        body: String::from_utf8_lossy(&request.body[..cut]).into_owned(),
    }
}

/// A response's headers as the attempt log keeps them: credentials (`set-cookie`) masked.
pub fn loggable_response_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(name, value)| {
            let secret = SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
            (name.to_ascii_lowercase(), if secret { mask(value) } else { value.to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::delivery::MASKED;

    fn endpoint_with_header(name: &str, value: &str) -> kurir_core::endpoint::Endpoint {
        let mut endpoint = crate::test_support::endpoint(kurir_core::endpoint::Dialect::Standard);
        endpoint.headers.insert(name.to_owned(), value.to_owned());
        endpoint
    }

    fn request(headers: &[(&str, &str)], body: &[u8]) -> OutboundRequest {
        OutboundRequest {
            method: "POST",
            url: "https://example.com/hook".to_owned(),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn credentials_and_the_endpoints_own_headers_are_masked() {
        let endpoint = endpoint_with_header("X-Api-Token", "t0p-secret");
        let sent = request(
            &[
                ("content-type", "application/json"),
                ("x-api-token", "t0p-secret"),
                ("authorization", "Basic key-one"),
                ("key2", "key-two"),
                ("webhook-signature", "v1,abc"),
            ],
            b"{}",
        );
        let logged = loggable(&sent, &endpoint, true);
        let shown: Vec<(&str, &str)> = logged.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                ("content-type", "application/json"),
                ("x-api-token", MASKED),
                ("authorization", &format!("Basic {MASKED}")),
                ("key2", MASKED),
                ("webhook-signature", "v1,abc"),
                ("authorization", &format!("Bearer {MASKED}")),
            ]
        );
        assert!(!format!("{logged:?}").contains("secret") && !format!("{logged:?}").contains("key-"));
    }

    #[test]
    fn the_body_is_cut_at_the_logged_size() {
        let endpoint = endpoint_with_header("x", "y");
        let body = vec![b'a'; kurir_core::delivery::REQUEST_BODY_LOGGED_BYTES + 10];
        let logged = loggable(&request(&[], &body), &endpoint, false);
        assert_eq!(logged.body.len(), kurir_core::delivery::REQUEST_BODY_LOGGED_BYTES);
        assert_eq!(logged.url, "https://example.com/hook");
    }

    #[test]
    fn response_cookies_are_masked() {
        let logged = loggable_response_headers([("Set-Cookie", "session=abc"), ("Content-Type", "text/plain")]);
        assert_eq!(logged, vec![("set-cookie".into(), MASKED.into()), ("content-type".into(), "text/plain".into())]);
    }
}
