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
