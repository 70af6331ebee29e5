//! Endpoints: where deliveries go, in which wire format, for which event types.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::event::Event;
use crate::id::{ApiKeyId, EndpointId, TenantId};
use crate::retry::RetrySchedule;
use crate::{ssrf, CoreError};

/// The wire format of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Standard Webhooks: `{"type","timestamp","data"}` signed with `webhook-signature`.
    Standard,
    /// DealPOS: the payload JSON exactly as published, one URL per event type (`{event}`).
    Dealpos,
    /// ZORT: `?method=TYPE`, a form field `payload`, and the three key headers.
    Zort,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Standard, Dialect::Dealpos, Dialect::Zort];

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Standard => "standard",
            Dialect::Dealpos => "dealpos",
            Dialect::Zort => "zort",
        }
    }

    pub fn parse(text: &str) -> Result<Self, CoreError> {
        Self::ALL.into_iter().find(|dialect| dialect.as_str() == text).ok_or_else(|| {
            CoreError::invalid("dialect", format!("unknown dialect `{text}`; known: standard, dealpos, zort"))
        })
    }
}

/// The three "Key Reference" values a ZORT receiver registered; ZORT sends them as headers on every call.
#[derive(Clone, PartialEq, Eq)]
pub struct ZortKeys {
    pub key1: String,
    pub key2: String,
    pub key3: String,
}

impl std::fmt::Debug for ZortKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZortKeys(<redacted>)")
    }
}

impl ZortKeys {
    /// Each key is sent as a header value: 1-256 visible characters.
    pub fn validate(&self) -> Result<(), CoreError> {
        for (name, value) in [("key1", &self.key1), ("key2", &self.key2), ("key3", &self.key3)] {
            let visible = value.bytes().all(|b| (0x20..0x7f).contains(&b));
            if value.is_empty() || value.len() > 256 || !visible {
                return Err(CoreError::invalid(format!("zort.{name}"), "must be 1-256 visible ASCII characters"));
            }
        }
        Ok(())
    }
}

/// How kurir authenticates to an endpoint beyond its static headers.
#[derive(Clone, PartialEq, Eq)]
pub enum EndpointAuth {
    /// OAuth 2.0 client credentials (RFC 6749 §4.4): kurir fetches a token from `token_url` with HTTP Basic
    /// client authentication, caches it until it expires, sends it as `Authorization: Bearer`, and fetches a new
    /// one once when the endpoint answers 401.
    OAuth2 { token_url: String, client_id: String, client_secret: String, scope: Option<String> },
}

impl std::fmt::Debug for EndpointAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointAuth::OAuth2 { token_url, client_id, .. } => f
                .debug_struct("OAuth2")
                .field("token_url", token_url)
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish_non_exhaustive(),
        }
    }
}

impl EndpointAuth {
    /// Checks the settings; `allow_private` is the operator's SSRF switch, which the token URL obeys too.
    pub fn validate(&self, allow_private: bool) -> Result<(), CoreError> {
        match self {
            EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope } => {
                validate_url(token_url, allow_private)
                    .map_err(|err| err.within("auth").rename("auth.url", "auth.token_url"))?;
                for (field, value) in [("auth.client_id", client_id), ("auth.client_secret", client_secret)] {
                    if value.is_empty() || value.len() > 1_024 {
                        return Err(CoreError::invalid(field, "must be 1-1024 characters"));
                    }
                }
                if scope.as_ref().is_some_and(|s| s.len() > 1_024) {
                    return Err(CoreError::invalid("auth.scope", "must be at most 1024 characters"));
                }
                Ok(())
            }
        }
    }
}

/// A signing secret (`whsec_…`). Several are live during a rotation: the old one keeps signing until it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    pub secret: String,
    /// `None` for the current secret; set on the previous one when it is rotated out.
    pub expires_at_ms: Option<i64>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecret")
            .field("secret", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600 * 1_000;

pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;
pub const MAX_TIMEOUT_MS: u32 = 120_000;
pub const MIN_TIMEOUT_MS: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant: TenantId,
    /// A URL template: `{event}` is replaced by the event type's name.
    pub url: String,
    pub dialect: Dialect,
    pub description: String,
    /// `None` subscribes to every event type.
    pub event_types: Option<Vec<String>>,
    /// Extra headers sent with every request.
    pub headers: BTreeMap<String, String>,
    pub secrets: Vec<SigningSecret>,
    /// `None` uses the default schedule.
    pub retry_schedule: Option<RetrySchedule>,
    pub timeout_ms: u32,
    pub enabled: bool,
    /// Why the engine disabled it (`410 Gone`, …), shown to the tenant.
    pub disabled_reason: Option<String>,
    /// Loop suppression: events published with this key are not sent here.
    pub owner_key: Option<ApiKeyId>,
    /// The ZORT key headers (`zort` dialect).
    pub zort_keys: Option<ZortKeys>,
    /// Whether kurir's own `webhook-id`/`-timestamp`/`-signature` headers go along in the `dealpos` and `zort`
    /// dialects (the `standard` dialect always has them).
    pub signature_headers: bool,
    pub auth: Option<EndpointAuth>,
    /// At most this many of its attempts at once, on every node together (never more than the server's own
    /// limit); `None`: the server's limit.
    pub max_in_flight: Option<u32>,
    /// Its own circuit breaker settings, over the server's.
    pub circuit: crate::circuit::CircuitOverrides,
    /// At most so many deliveries per second or minute, for the endpoint as a whole; `None`: no limit.
    pub rate_limit: Option<crate::rate::RateLimit>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Endpoint {
    /// Whether an event of `event_type` published with `origin` goes to this endpoint.
    pub fn wants(&self, event_type: &str, origin: Option<&ApiKeyId>) -> bool {
        let owner = self.owner_key.as_ref().map(ApiKeyId::as_str);
        self.enabled && subscribes(self.event_types.as_deref(), owner, event_type, origin.map(ApiKeyId::as_str))
    }

    /// The secrets that sign a request sent at `now_ms`: the current one and any rotated-out one still in overlap.
    pub fn live_secrets(&self, now_ms: i64) -> impl Iterator<Item = &str> {
        self.secrets.iter().filter(move |s| s.expires_at_ms.is_none_or(|at| at > now_ms)).map(|s| s.secret.as_str())
    }

    pub fn schedule(&self) -> RetrySchedule {
        self.retry_schedule.clone().unwrap_or_default()
    }

    /// The URL for one event type: the template with `{event}` filled in.
    pub fn url_for(&self, event_type: &str) -> String {
        self.url.replace("{event}", event_type)
    }
}

/// The subscription rule, on the bare fields (the store uses it without loading whole endpoints): the type is
/// in the filter (no filter means every type but kurir's operational ones, which are asked for by name), and the
/// event was not published with the endpoint's owner key.
pub fn subscribes(
    event_types: Option<&[String]>,
    owner_key: Option<&str>,
    event_type: &str,
    origin: Option<&str>,
) -> bool {
    let type_matches = match event_types {
        None => !crate::operational::is_operational(event_type),
        Some(types) => types.iter().any(|t| t == event_type),
    };
    let suppressed = owner_key.is_some() && owner_key == origin;
    type_matches && !suppressed
}

/// Whether publishing `event` makes a delivery to the endpoint `endpoint_id` with these subscription fields: it
/// [`subscribes`], and the event is not an operational one about this very endpoint.
pub fn receives(endpoint_id: &str, event_types: Option<&[String]>, owner_key: Option<&str>, event: &Event) -> bool {
    let origin = event.origin_key.as_ref().map(ApiKeyId::as_str);
    let about_itself = event.subject_endpoint.as_ref().is_some_and(|subject| subject.as_str() == endpoint_id);
    subscribes(event_types, owner_key, &event.event_type, origin) && !about_itself
}

/// The most attempts at once an endpoint may ask for.
pub const MAX_IN_FLIGHT: u32 = 1_000;

/// Checks an endpoint's own in-flight limit: 1 to 1,000.
pub fn validate_max_in_flight(limit: u32) -> Result<(), CoreError> {
    if !(1..=MAX_IN_FLIGHT).contains(&limit) {
        return Err(CoreError::invalid("max_in_flight", "must be between 1 and 1000 attempts at once, or null"));
    }
    Ok(())
}

/// Checks an endpoint URL template: absolute http(s), a host, no credentials, and (unless private targets are
/// allowed) no IP literal that the SSRF rule forbids. Host names are checked again at send time, on every DNS
/// answer, because a name can resolve anywhere.
pub fn validate_url(template: &str, allow_private: bool) -> Result<url::Url, CoreError> {
    const FIELD: &str = "url";
    if template.len() > 2_048 {
        return Err(CoreError::invalid(FIELD, "must be at most 2048 characters"));
    }
    check_placeholders(template)?;
    let filled = template.replace("{event}", "event");
    let url = url::Url::parse(&filled).map_err(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => {
            CoreError::invalid(FIELD, "must be an absolute http(s) URL, like https://example.com/hooks")
        }
        other => CoreError::invalid(FIELD, format!("is not a valid URL: {other}")),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CoreError::invalid(FIELD, "must use http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CoreError::invalid(FIELD, "must not carry credentials; use headers instead"));
    }
    let host = url.host().ok_or_else(|| CoreError::invalid(FIELD, "must have a host"))?;
    let literal: Option<IpAddr> = match host {
        url::Host::Ipv4(v4) => Some(v4.into()),
        url::Host::Ipv6(v6) => Some(v6.into()),
        url::Host::Domain(name) => (name.eq_ignore_ascii_case("localhost")).then_some(IpAddr::from([127, 0, 0, 1])),
    };
    if !allow_private && literal.is_some_and(ssrf::is_forbidden) {
        return Err(CoreError::invalid(
            FIELD,
            "points at a private, loopback or link-local address; the operator must start kurir with --allow-private-targets to allow it",
        ));
    }
    Ok(url)
}

/// The one placeholder a URL template may hold.
pub const EVENT_PLACEHOLDER: &str = "{event}";

/// A `{...}` in a URL template other than `{event}` is a typo (`{evnt}`) that would be sent as it is.
fn check_placeholders(template: &str) -> Result<(), CoreError> {
    let mut rest = template;
    while let Some(start) = rest.find(['{', '}']) {
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix(EVENT_PLACEHOLDER) {
            rest = after;
            continue;
        }
        let shown: String = match tail.find('}') {
            Some(end) if tail.starts_with('{') => tail[..=end].to_owned(),
            _ => tail.chars().take(1).collect(),
        };
        return Err(CoreError::invalid(
            "url",
            format!("`{shown}` is not a placeholder kurir knows; the only one is {EVENT_PLACEHOLDER}, the event type's name"),
        ));
    }
    Ok(())
}

/// DealPOS puts the event type only in the URL: an endpoint of the `dealpos` dialect that receives more than one
/// type (or every type) needs `{event}` in its URL, or its receiver cannot tell the types apart.
pub fn check_dealpos_url(dialect: Dialect, url: &str, event_types: Option<&[String]>) -> Result<(), CoreError> {
    let one_type = event_types.is_some_and(|types| types.len() == 1);
    if dialect == Dialect::Dealpos && !one_type && !url.contains(EVENT_PLACEHOLDER) {
        return Err(CoreError::invalid(
            "url",
            "a dealpos endpoint that receives more than one event type needs {event} in its URL \
             (for example https://example.com/hooks/{event}): DealPOS sends the type only in the URL",
        ));
    }
    Ok(())
}

/// Headers a tenant may not set: kurir owns them, and a forged signature header would defeat verification.
const RESERVED_HEADERS: [&str; 7] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

pub fn validate_headers(headers: &BTreeMap<String, String>) -> Result<(), CoreError> {
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let is_token =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !is_token {
            return Err(CoreError::invalid(field, "is not a valid header name"));
        }
        if RESERVED_HEADERS.iter().any(|reserved| name.eq_ignore_ascii_case(reserved)) {
            return Err(CoreError::invalid(field, "is set by kurir and cannot be overridden"));
        }
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(CoreError::invalid(field, "value must not hold control characters"));
        }
    }
    Ok(())
}

pub fn validate_timeout_ms(timeout_ms: u32) -> Result<(), CoreError> {
    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(CoreError::invalid("timeout_ms", format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS}")));
    }
    Ok(())
}

/// A secret value as API responses show it: that it is set, and its last four characters when it is long enough
/// for those not to give it away (`••••5678`); a short one is all mask.
pub fn masked(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 8 {
        return "••••".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn masked_values_show_only_that_they_are_set_and_their_tail() {
        assert_eq!(super::masked("sk_live_12345678"), "••••5678");
        assert_eq!(super::masked("short"), "••••");
        assert_eq!(super::masked(""), "••••");
    }

    use super::*;

    fn url_error(template: &str, allow_private: bool) -> Option<String> {
        validate_url(template, allow_private).err().map(|e| e.to_string())
    }

    #[test]
    fn urls() {
        assert_eq!(url_error("https://example.com/hooks/{event}", false), None);
        assert_eq!(url_error("http://127.0.0.1:9000/x", true), None);
        let cases = [
            ("ftp://example.com/", "http or https"),
            ("not a url", "must be an absolute http(s) URL"),
            ("https://exa mple.com/", "not a valid URL"),
            ("https://user:pw@example.com/", "credentials"),
            ("http://127.0.0.1:9000/x", "private"),
            ("http://localhost/x", "private"),
            ("http://[::1]/x", "private"),
            ("http://169.254.169.254/latest/meta-data", "private"),
        ];
        for (template, expected) in cases {
            let err = url_error(template, false).unwrap_or_default();
            assert!(err.starts_with("url: ") && err.contains(expected), "{template}: {err}");
        }
    }

    #[test]
    fn placeholders() {
        assert_eq!(url_error("https://example.com/{event}/x/{event}", false), None);
        for (template, shown) in [
            ("https://example.com/{evnt}", "`{evnt}`"),
            ("https://example.com/{event", "`{`"),
            ("https://example.com/event}", "`}`"),
            ("https://example.com/{Event}", "`{Event}`"),
        ] {
            let err = url_error(template, false).unwrap_or_default();
            assert!(err.starts_with("url: ") && err.contains(shown) && err.contains("{event}"), "{template}: {err}");
        }
    }

    #[test]
    fn a_dealpos_endpoint_of_several_types_needs_the_event_in_its_url() {
        let one = vec!["productCreated".to_owned()];
        let two = vec!["productCreated".to_owned(), "productUpdated".to_owned()];
        assert!(check_dealpos_url(Dialect::Dealpos, "https://x.test/hook", Some(&one)).is_ok());
        assert!(check_dealpos_url(Dialect::Dealpos, "https://x.test/{event}", Some(&two)).is_ok());
        assert!(check_dealpos_url(Dialect::Standard, "https://x.test/hook", None).is_ok());
        for types in [None, Some(two.as_slice())] {
            let err = check_dealpos_url(Dialect::Dealpos, "https://x.test/hook", types).err();
            assert_eq!(err.as_ref().and_then(|e| e.field()), Some("url"), "{types:?}");
        }
    }

    #[test]
    fn headers() {
        let ok = BTreeMap::from([("X-Api-Key".to_owned(), "abc".to_owned())]);
        assert!(validate_headers(&ok).is_ok());
        for (name, value) in [("webhook-signature", "x"), ("Bad Name", "x"), ("X-Ok", "a\r\nb"), ("Host", "x")] {
            let headers = BTreeMap::from([(name.to_owned(), value.to_owned())]);
            let err = validate_headers(&headers).err().and_then(|e| e.field().map(str::to_owned));
            assert_eq!(err, Some(format!("headers.{name}")));
        }
    }

    fn sample_endpoint(owner: Option<ApiKeyId>) -> Endpoint {
        Endpoint {
            id: EndpointId::generate(1, 1),
            tenant: "acme".parse().unwrap_or_else(|_| unreachable!()),
            url: "https://example.com/{event}".into(),
            dialect: Dialect::Standard,
            description: String::new(),
            event_types: Some(vec!["productCreated".into()]),
            headers: BTreeMap::new(),
            secrets: vec![
                SigningSecret { secret: "new".into(), expires_at_ms: None },
                SigningSecret { secret: "old".into(), expires_at_ms: Some(100) },
            ],
            retry_schedule: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            enabled: true,
            disabled_reason: None,
            owner_key: owner,
            zort_keys: None,
            signature_headers: true,
            auth: None,
            max_in_flight: None,
            circuit: Default::default(),
            rate_limit: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn matching_and_loop_suppression() {
        let owner = ApiKeyId::generate(1, 1);
        let other = ApiKeyId::generate(1, 2);
        let mut endpoint = sample_endpoint(Some(owner.clone()));
        assert!(endpoint.wants("productCreated", None));
        assert!(endpoint.wants("productCreated", Some(&other)));
        assert!(!endpoint.wants("productCreated", Some(&owner)));
        assert!(!endpoint.wants("productDeleted", None));
        assert!(sample_endpoint(None).wants("productCreated", Some(&owner)));
        assert_eq!(endpoint.url_for("productCreated"), "https://example.com/productCreated");
        endpoint.enabled = false;
        assert!(!endpoint.wants("productCreated", None));
    }

    #[test]
    fn oauth_settings() {
        let auth = |token_url: &str, client_id: &str| EndpointAuth::OAuth2 {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: "s".into(),
            scope: None,
        };
        assert_eq!(auth("https://auth.example.com/token", "kurir").validate(false), Ok(()));
        let field = |a: EndpointAuth| a.validate(false).err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(field(auth("ftp://x/", "kurir")).as_deref(), Some("auth.token_url"));
        assert_eq!(field(auth("http://127.0.0.1/token", "kurir")).as_deref(), Some("auth.token_url"));
        assert_eq!(field(auth("https://auth.example.com/token", "")).as_deref(), Some("auth.client_id"));
        assert!(!format!("{:?}", auth("https://a.example/t", "c")).contains("\"s\""));
    }

    #[test]
    fn dialects_and_zort_keys() {
        for dialect in Dialect::ALL {
            assert_eq!(Dialect::parse(dialect.as_str()), Ok(dialect));
        }
        assert!(Dialect::parse("soap").is_err());
        let keys = |key1: &str| ZortKeys { key1: key1.into(), key2: "b".into(), key3: "c".into() };
        assert!(keys("a").validate().is_ok());
        let field = |k: ZortKeys| k.validate().err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(field(keys("")).as_deref(), Some("zort.key1"));
        assert_eq!(field(keys("a\nb")).as_deref(), Some("zort.key1"));
        assert_eq!(format!("{:?}", keys("secret")), "ZortKeys(<redacted>)");
    }

    #[test]
    fn rotated_secrets_expire() {
        let endpoint = sample_endpoint(None);
        assert_eq!(endpoint.live_secrets(50).collect::<Vec<_>>(), ["new", "old"]);
        assert_eq!(endpoint.live_secrets(100).collect::<Vec<_>>(), ["new"]);
    }
}
