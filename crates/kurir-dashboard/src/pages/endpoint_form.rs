//! The endpoint form (create and edit): its fields, how they become the REST body's settings (so the API's own
//! validation judges them and names the field), and where an error the API names is shown.

use std::collections::BTreeMap;

use kurir_api::error::ApiError;
use kurir_core::catalog::Catalog;
use kurir_core::endpoint::{Dialect, Endpoint, EndpointAuth};
use maud::{html, Markup};

use crate::fields::Fields;
use serde_json::{json, Map, Value};

/// An endpoint's settings as the form's values. Secrets (ZORT keys, the OAuth client secret) are left out: on
/// an edit, blank means "keep".
pub fn values_of(endpoint: &Endpoint) -> Fields {
    let mut fields = Fields::default();
    fields.push("url", endpoint.url.clone());
    fields.push("dialect", endpoint.dialect.as_str());
    fields.push("description", endpoint.description.clone());
    fields.push("timeout_ms", endpoint.timeout_ms.to_string());
    fields.push("headers", endpoint.headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>());
    if endpoint.signature_headers {
        fields.push("signature_headers", "on");
    }
    for name in endpoint.event_types.iter().flatten() {
        fields.push("event_types", name.clone());
    }
    match endpoint.retry_schedule.as_ref() {
        None => fields.push("retry", "default"),
        Some(schedule) => match schedule.preset_name() {
            Some(name) => fields.push("retry", name),
            None => {
                fields.push("retry", "custom");
                let waits: Vec<String> = schedule.waits_secs().iter().map(u32::to_string).collect();
                fields.push("retry_waits", waits.join(", "));
            }
        },
    }
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    fields.push("max_in_flight", number(endpoint.max_in_flight));
    fields.push("circuit_failures", number(endpoint.circuit.failures));
    fields.push("circuit_cooldown_ms", number(endpoint.circuit.cooldown_ms));
    fields.push("rate_count", number(endpoint.rate_limit.map(|r| r.count)));
    let per = endpoint.rate_limit.filter(|r| r.period_ms == kurir_core::rate::RateLimit::MINUTE);
    fields.push("rate_per", if per.is_some() { "minute" } else { "second" });
    if let Some(EndpointAuth::OAuth2 { token_url, client_id, scope, .. }) = &endpoint.auth {
        fields.push("oauth_token_url", token_url.clone());
        fields.push("oauth_client_id", client_id.clone());
        fields.push("oauth_scope", scope.clone().unwrap_or_default());
    }
    fields
}

/// The settings in the REST body's shape: for a new endpoint (`current` is `None`) only what was filled in;
/// for an edit, a patch over `current`, in which a blank secret keeps the stored one.
pub fn settings(values: &Fields, current: Option<&Endpoint>) -> Result<Map<String, Value>, ApiError> {
    let mut body = Map::new();
    body.insert("url".into(), json!(values.text("url")));
    body.insert("dialect".into(), json!(values.text("dialect")));
    body.insert("description".into(), json!(values.text("description")));
    let types = values.all("event_types");
    body.insert("event_types".into(), if types.is_empty() { Value::Null } else { json!(types) });
    body.insert("headers".into(), json!(parse_headers(values.text("headers"))?));
    body.insert("retry_schedule".into(), retry_schedule(values)?);
    if !values.text("timeout_ms").is_empty() {
        let timeout: u32 = values
            .text("timeout_ms")
            .parse()
            .map_err(|_| ApiError::invalid("timeout_ms", "must be a whole number of milliseconds"))?;
        body.insert("timeout_ms".into(), json!(timeout));
    }
    body.insert("signature_headers".into(), json!(values.checked("signature_headers")));
    for field in ["max_in_flight", "circuit_failures", "circuit_cooldown_ms"] {
        body.insert(field.into(), json!(whole_number(values, field, field)?));
    }
    let rate = match whole_number(values, "rate_count", "rate_limit.count")? {
        Some(count) => json!({"count": count, "per": values.text("rate_per")}),
        None => Value::Null,
    };
    body.insert("rate_limit".into(), rate);
    if current.is_none() && !values.text("signature_scheme").is_empty() {
        body.insert("signature_scheme".into(), json!(values.text("signature_scheme")));
    }
    match zort_keys(values, current) {
        Change::Set(keys) => body.insert("zort".into(), keys),
        Change::Clear => body.insert("zort".into(), Value::Null),
        Change::Keep => None,
    };
    match oauth(values, current)? {
        Change::Set(auth) => body.insert("auth".into(), auth),
        Change::Clear => body.insert("auth".into(), Value::Null),
        Change::Keep => None,
    };
    if current.is_none() {
        body.retain(|_, v| !v.is_null());
    }
    Ok(body)
}

/// A whole-number field: blank is `None` (the server's default), anything else must be a number.
fn whole_number(values: &Fields, name: &str, field: &str) -> Result<Option<u32>, ApiError> {
    match values.text(name).trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| ApiError::invalid(field, "must be a whole number")),
    }
}

/// The ZORT keys: the three given; or, all blank on an edit of a `zort` endpoint, the stored ones.
fn zort_keys(values: &Fields, current: Option<&Endpoint>) -> Change {
    let keys = [values.text("zort_key1"), values.text("zort_key2"), values.text("zort_key3")];
    if keys.iter().any(|k| !k.is_empty()) {
        return Change::Set(json!({"key1": keys[0], "key2": keys[1], "key3": keys[2]}));
    }
    match current {
        Some(_) if values.text("dialect") == "zort" => Change::Keep,
        _ => Change::Clear,
    }
}

/// The OAuth settings: all given; none (no token URL); or on an edit, unchanged without the client secret. A
/// changed setting without the secret is refused rather than silently dropped.
fn oauth(values: &Fields, current: Option<&Endpoint>) -> Result<Change, ApiError> {
    let token_url = values.text("oauth_token_url");
    if token_url.is_empty() {
        return Ok(Change::Clear);
    }
    let secret = values.text("oauth_client_secret");
    let scope = Some(values.text("oauth_scope")).filter(|s| !s.is_empty());
    if secret.is_empty() {
        if let Some(Some(EndpointAuth::OAuth2 { token_url: url, client_id, scope: stored_scope, .. })) =
            current.map(|e| e.auth.as_ref())
        {
            let unchanged = url == token_url
                && client_id == values.text("oauth_client_id")
                && *stored_scope == scope.map(str::to_owned);
            if unchanged {
                return Ok(Change::Keep);
            }
            return Err(ApiError::invalid(
                "auth.client_secret",
                "give the client secret again to change the OAuth settings",
            ));
        }
    }
    let mut auth = json!({
        "type": "oauth2",
        "token_url": token_url,
        "client_id": values.text("oauth_client_id"),
        "client_secret": secret,
    });
    if let Some(scope) = scope {
        auth["scope"] = json!(scope);
    }
    Ok(Change::Set(auth))
}

fn retry_schedule(values: &Fields) -> Result<Value, ApiError> {
    match values.text("retry") {
        "" | "default" => Ok(json!("default")),
        "custom" => {
            if values.text("retry_waits").is_empty() {
                return Err(ApiError::invalid("retry_schedule", "give the custom waits, such as 5, 300, 1800"));
            }
            let waits = values
                .text("retry_waits")
                .split([',', ' '])
                .filter(|w| !w.is_empty())
                .map(|w| w.parse::<u32>())
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|_| {
                    ApiError::invalid("retry_schedule", "waits must be whole seconds, such as 5, 300, 1800")
                })?;
            Ok(json!(waits))
        }
        preset => Ok(json!(preset)),
    }
}

/// What an edit does to a setting that holds a secret.
enum Change {
    Set(Value),
    Clear,
    Keep,
}

/// `Name: value` lines as a header map; a line without a colon is refused, naming its line.
pub fn parse_headers(text: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut headers = BTreeMap::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ApiError::invalid("headers", format!("line {} must be `Name: value`", index + 1)))?;
        headers.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    Ok(headers)
}

/// Which form group an error the API named belongs to (`event_types[2]` → `event_types`, `zort.key1` → `zort`).
pub fn group_of(field: &str) -> &'static str {
    const GROUPS: [&str; 14] = [
        "url",
        "dialect",
        "description",
        "event_types",
        "headers",
        "retry_schedule",
        "timeout_ms",
        "zort",
        "auth",
        "max_in_flight",
        "circuit_failures",
        "circuit_cooldown_ms",
        "rate_limit",
        "signature_scheme",
    ];
    GROUPS
        .into_iter()
        .find(|group| {
            field == *group || field.starts_with(&format!("{group}.")) || field.starts_with(&format!("{group}["))
        })
        .unwrap_or("")
}

/// The form. `error` is shown at the top and beside the group it names; values come back as typed.
pub fn render(
    action: &str,
    token: Markup,
    values: &Fields,
    catalog: &Catalog,
    custom_types: &[String],
    error: Option<&ApiError>,
    editing: bool,
) -> Markup {
    let error_group = error.and_then(|e| e.field.as_deref()).map(group_of).unwrap_or("");
    let beside = |group: &str| -> Markup {
        html! {
            @if let Some(error) = error.filter(|_| error_group == group) {
                div.error id={ "err-" (group) } role="alert" { (error.field.as_deref().unwrap_or("")) ": " (error.message) }
            }
        }
    };
    let invalid = |group: &str| (error_group == group).then_some("true");
    let described = |group: &str| (error_group == group).then(|| format!("err-{group}"));
    let selected_types = values.all("event_types");
    let mut platforms: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for event_type in catalog.iter() {
        platforms.entry(event_type.platform.as_str()).or_default().push(event_type.name.as_str());
    }
    let retry = if values.text("retry").is_empty() { "default" } else { values.text("retry") };
    html! {
        form.card method="post" action=(action) novalidate {
            (token)
            @if let Some(error) = error {
                p.error-box role="alert" {
                    "Not saved: " @if let Some(field) = &error.field { strong { (field) } " " } (error.message)
                }
            }
            div.field {
                label for="url" { "URL" }
                input #url type="url" name="url" value=(values.text("url")) required aria-invalid=[invalid("url")] aria-describedby=[described("url")];
                (beside("url"))
            }
            div.field {
                label for="dialect" { "Dialect" }
                select #dialect name="dialect" aria-invalid=[invalid("dialect")] {
                    @for dialect in Dialect::ALL {
                        option value=(dialect.as_str()) selected[values.text("dialect") == dialect.as_str()] { (dialect.as_str()) }
                    }
                }
                div.hint { "standard: Standard Webhooks · dealpos: DealPOS's JSON, one URL per event ({event} in the URL) · zort: ZORT's form triggers" }
                (beside("dialect"))
            }
            div.field {
                label for="description" { "Description" }
                input #description type="text" name="description" value=(values.text("description")) aria-invalid=[invalid("description")];
                (beside("description"))
            }
            div.field {
                label for="event_types" { "Event types" }
                select #event_types name="event_types" multiple size="8" aria-invalid=[invalid("event_types")] aria-describedby="event_types-hint" {
                    @for (platform, names) in &platforms {
                        optgroup label=(platform) {
                            @for name in names { option value=(name) selected[selected_types.contains(name)] { (name) } }
                        }
                    }
                    @if !custom_types.is_empty() {
                        optgroup label="This tenant's own" {
                            @for name in custom_types { option value=(name) selected[selected_types.contains(&name.as_str())] { (name) } }
                        }
                    }
                }
                div #event_types-hint .hint { "None selected: every event type." }
                (beside("event_types"))
            }
            div.field {
                label for="headers" { "Extra headers" }
                textarea #headers name="headers" aria-describedby="headers-hint" aria-invalid=[invalid("headers")] { (values.text("headers")) }
                div #headers-hint .hint { "One per line: Name: value" }
                (beside("headers"))
            }
            fieldset.field {
                legend { "Retry schedule" }
                @for (value, label) in [("default", "kurir's default"), ("dealpos", "DealPOS's"), ("custom", "custom waits")] {
                    label { input type="radio" name="retry" value=(value) checked[retry == value]; " " (label) }
                }
                label for="retry_waits" { "Custom waits (seconds, comma separated)" }
                input #retry_waits type="text" name="retry_waits" value=(values.text("retry_waits")) placeholder="5, 300, 1800" aria-invalid=[invalid("retry_schedule")];
                (beside("retry_schedule"))
            }
            div.field {
                label for="timeout_ms" { "Timeout (ms)" }
                input #timeout_ms type="number" name="timeout_ms" min="1" value=(values.text("timeout_ms")) aria-invalid=[invalid("timeout_ms")];
                (beside("timeout_ms"))
            }
            div.field {
                label { input type="checkbox" name="signature_headers" checked[!editing && values.is_empty() || values.checked("signature_headers")]; " Send kurir's webhook-* signature headers in the dealpos and zort dialects" }
            }
            fieldset.field {
                legend { "Limits (blank: the server's)" }
                label for="max_in_flight" { "Attempts at once (1-1000)" }
                input #max_in_flight type="number" name="max_in_flight" min="1" value=(values.text("max_in_flight")) aria-invalid=[invalid("max_in_flight")];
                (beside("max_in_flight"))
                label for="rate_count" { "Rate limit: deliveries" }
                input #rate_count type="number" name="rate_count" min="1" value=(values.text("rate_count")) aria-invalid=[invalid("rate_limit")];
                label for="rate_per" { "per" }
                select #rate_per name="rate_per" {
                    @for per in ["second", "minute"] { option value=(per) selected[values.text("rate_per") == per] { (per) } }
                }
                (beside("rate_limit"))
                label for="circuit_failures" { "Failures in a row that open the circuit" }
                input #circuit_failures type="number" name="circuit_failures" min="1" value=(values.text("circuit_failures")) aria-invalid=[invalid("circuit_failures")];
                (beside("circuit_failures"))
                label for="circuit_cooldown_ms" { "First circuit cooldown (ms)" }
                input #circuit_cooldown_ms type="number" name="circuit_cooldown_ms" min="1000" value=(values.text("circuit_cooldown_ms")) aria-invalid=[invalid("circuit_cooldown_ms")];
                (beside("circuit_cooldown_ms"))
            }
            @if !editing {
                div.field {
                    label for="signature_scheme" { "Signatures" }
                    select #signature_scheme name="signature_scheme" aria-invalid=[invalid("signature_scheme")] {
                        option value="v1" { "v1: HMAC with a shared secret" }
                        option value="v1a" { "v1a: ed25519; receivers hold only the public key" }
                    }
                    (beside("signature_scheme"))
                }
            }
            fieldset.field {
                legend { "ZORT keys (zort dialect)" }
                @if editing { div.hint { "Blank keeps the current keys." } }
                @for n in 1..=3 {
                    @let name = format!("zort_key{n}");
                    label for=(name) { "key" (n) }
                    input id=(name) type="text" name=(name) value=(values.text(&name)) autocomplete="off" aria-invalid=[invalid("zort")];
                }
                (beside("zort"))
            }
            fieldset.field {
                legend { "OAuth 2 client credentials (optional)" }
                @if editing { div.hint { "To change OAuth settings, give the client secret again." } }
                label for="oauth_token_url" { "Token URL" }
                input #oauth_token_url type="url" name="oauth_token_url" value=(values.text("oauth_token_url")) aria-invalid=[invalid("auth")];
                label for="oauth_client_id" { "Client id" }
                input #oauth_client_id type="text" name="oauth_client_id" value=(values.text("oauth_client_id"));
                label for="oauth_client_secret" { "Client secret" }
                input #oauth_client_secret type="password" name="oauth_client_secret" autocomplete="off";
                label for="oauth_scope" { "Scope" }
                input #oauth_scope type="text" name="oauth_scope" value=(values.text("oauth_scope"));
                (beside("auth"))
            }
            button type="submit" { @if editing { "Save" } @else { "Create endpoint" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn a_new_endpoint_sends_only_what_was_filled_in() {
        let values = posted(&[
            ("url", " https://example.com/hook "),
            ("dialect", "standard"),
            ("event_types", "product.created"),
            ("event_types", "invoice.created"),
            ("retry", "custom"),
            ("retry_waits", "5, 60 600"),
            ("headers", "X-Shop: 7\n\n"),
        ]);
        let body = settings(&values, None).ok().unwrap_or_default();
        assert_eq!(body["url"], "https://example.com/hook");
        assert_eq!(body["event_types"], json!(["product.created", "invoice.created"]));
        assert_eq!(body["retry_schedule"], json!([5, 60, 600]));
        assert_eq!(body["headers"], json!({"X-Shop": "7"}));
        assert!(!body.contains_key("zort") && !body.contains_key("auth") && !body.contains_key("timeout_ms"));
    }

    #[test]
    fn malformed_fields_are_named() {
        let waits = settings(&posted(&[("retry", "custom"), ("retry_waits", "5, soon")]), None);
        assert_eq!(waits.err().and_then(|e| e.field), Some("retry_schedule".into()));
        let headers = settings(&posted(&[("headers", "X-Ok: 1\nbroken")]), None);
        let err = headers.err();
        assert_eq!(err.as_ref().and_then(|e| e.field.clone()), Some("headers".into()));
        assert!(err.is_some_and(|e| e.message.contains("line 2")));
        let timeout = settings(&posted(&[("timeout_ms", "soon")]), None);
        assert_eq!(timeout.err().and_then(|e| e.field), Some("timeout_ms".into()));
    }

    fn zort_endpoint_with_oauth() -> Endpoint {
        let tenant: kurir_core::id::TenantId = "acme".parse().unwrap_or_else(|_| unreachable!());
        Endpoint {
            id: kurir_core::id::EndpointId::generate(1, 1),
            tenant,
            url: "https://example.com".into(),
            dialect: Dialect::Zort,
            description: String::new(),
            event_types: None,
            headers: BTreeMap::new(),
            secrets: Vec::new(),
            retry_schedule: None,
            timeout_ms: 15_000,
            enabled: true,
            disabled_reason: None,
            owner_key: None,
            zort_keys: Some(kurir_core::endpoint::ZortKeys { key1: "a".into(), key2: "b".into(), key3: "c".into() }),
            signature_headers: true,
            auth: Some(EndpointAuth::OAuth2 {
                token_url: "https://auth.example.com/token".into(),
                client_id: "kurir".into(),
                client_secret: "s3cret".into(),
                scope: None,
            }),
            max_in_flight: None,
            circuit: Default::default(),
            rate_limit: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn an_edit_keeps_secrets_left_blank() {
        let current = zort_endpoint_with_oauth();
        let unchanged = values_of(&current);
        let body = settings(&unchanged, Some(&current)).ok().unwrap_or_default();
        assert!(!body.contains_key("zort"), "blank keys keep the current ones");
        assert!(!body.contains_key("auth"), "unchanged OAuth without its secret keeps the current settings");
        let standard = settings(&posted(&[("url", "https://example.com"), ("dialect", "standard")]), Some(&current));
        let standard = standard.ok().unwrap_or_default();
        assert_eq!(standard.get("zort"), Some(&Value::Null), "leaving zort drops its keys");
        assert_eq!(standard.get("auth"), Some(&Value::Null), "a blank token URL drops OAuth");
    }

    #[test]
    fn a_changed_oauth_setting_without_its_secret_is_refused_not_dropped() {
        let current = zort_endpoint_with_oauth();
        let mut fields = values_of(&current).without("oauth_client_id");
        fields.push("oauth_client_id", "another");
        let refused = settings(&fields, Some(&current));
        assert_eq!(refused.err().and_then(|e| e.field), Some("auth.client_secret".into()));
    }

    #[test]
    fn limits_round_trip_and_a_bad_number_is_named() {
        let mut endpoint = zort_endpoint_with_oauth();
        endpoint.max_in_flight = Some(4);
        endpoint.rate_limit = kurir_core::rate::RateLimit::new(30, kurir_core::rate::RateLimit::MINUTE).ok();
        let body = settings(&values_of(&endpoint), Some(&endpoint)).unwrap_or_default();
        assert_eq!(body["max_in_flight"], 4);
        assert_eq!(body["rate_limit"], json!({"count": 30, "per": "minute"}));
        assert_eq!(body["circuit_failures"], Value::Null, "blank: the server's");
        let bad = settings(&posted(&[("url", "https://x.example"), ("rate_count", "lots")]), None);
        assert_eq!(bad.err().and_then(|e| e.field), Some("rate_limit.count".into()));
        assert_eq!(group_of("rate_limit.count"), "rate_limit");
    }

    #[test]
    fn custom_retries_need_their_waits() {
        let empty = settings(&posted(&[("retry", "custom"), ("retry_waits", " ")]), None);
        assert_eq!(empty.err().and_then(|e| e.field), Some("retry_schedule".into()));
    }

    #[test]
    fn errors_find_their_group() {
        assert_eq!(group_of("event_types[2]"), "event_types");
        assert_eq!(group_of("zort.key1"), "zort");
        assert_eq!(group_of("auth.token_url"), "auth");
        assert_eq!(group_of("url"), "url");
        assert_eq!(group_of("payload"), "");
    }
}
