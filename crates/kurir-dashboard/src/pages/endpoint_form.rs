//! The endpoint form (create and edit): its fields, how they become the REST body's settings (so the API's own
//! validation judges them and names the field), and where an error the API names is shown.

use std::collections::BTreeMap;

use kurir_api::error::ApiError;
use kurir_core::catalog::Catalog;
use kurir_core::endpoint::{Dialect, Endpoint, EndpointAuth};
use maud::{html, Markup};
use serde_json::{json, Map, Value};

/// What the form holds: the posted fields, or an endpoint's current settings.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    fields: Vec<(String, String)>,
}

impl FormValues {
    pub fn posted(fields: Vec<(String, String)>) -> Self {
        FormValues { fields }
    }

    /// An endpoint's settings as form values. Secrets (ZORT keys, the OAuth client secret) are left out: blank
    /// means "keep".
    pub fn of(endpoint: &Endpoint) -> Self {
        let mut fields = vec![
            ("url".to_owned(), endpoint.url.clone()),
            ("dialect".to_owned(), endpoint.dialect.as_str().to_owned()),
            ("description".to_owned(), endpoint.description.clone()),
            ("timeout_ms".to_owned(), endpoint.timeout_ms.to_string()),
            ("headers".to_owned(), endpoint.headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()),
        ];
        if endpoint.signature_headers {
            fields.push(("signature_headers".to_owned(), "on".to_owned()));
        }
        for name in endpoint.event_types.iter().flatten() {
            fields.push(("event_types".to_owned(), name.clone()));
        }
        match endpoint.retry_schedule.as_ref() {
            None => fields.push(("retry".to_owned(), "default".to_owned())),
            Some(schedule) => match schedule.preset_name() {
                Some(name) => fields.push(("retry".to_owned(), name.to_owned())),
                None => {
                    fields.push(("retry".to_owned(), "custom".to_owned()));
                    let waits: Vec<String> = schedule.waits_secs().iter().map(u32::to_string).collect();
                    fields.push(("retry_waits".to_owned(), waits.join(", ")));
                }
            },
        }
        if let Some(EndpointAuth::OAuth2 { token_url, client_id, scope, .. }) = &endpoint.auth {
            fields.push(("oauth_token_url".to_owned(), token_url.clone()));
            fields.push(("oauth_client_id".to_owned(), client_id.clone()));
            fields.push(("oauth_scope".to_owned(), scope.clone().unwrap_or_default()));
        }
        FormValues { fields }
    }

    pub fn text(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.trim()).collect()
    }

    fn checked(&self, name: &str) -> bool {
        !self.text(name).is_empty()
    }

    /// The settings in the REST body's shape. For an edit, blank secrets are left out so the current ones stay.
    pub fn settings(&self, editing: bool) -> Result<Map<String, Value>, ApiError> {
        let mut body = Map::new();
        body.insert("url".into(), json!(self.text("url")));
        body.insert("dialect".into(), json!(self.text("dialect")));
        body.insert("description".into(), json!(self.text("description")));
        let types = self.all("event_types");
        body.insert("event_types".into(), if types.is_empty() { Value::Null } else { json!(types) });
        body.insert("headers".into(), json!(parse_headers(self.text("headers"))?));
        body.insert("retry_schedule".into(), self.retry_schedule()?);
        if !self.text("timeout_ms").is_empty() {
            let timeout: u32 = self
                .text("timeout_ms")
                .parse()
                .map_err(|_| ApiError::invalid("timeout_ms", "must be a whole number of milliseconds"))?;
            body.insert("timeout_ms".into(), json!(timeout));
        }
        body.insert("signature_headers".into(), json!(self.checked("signature_headers")));
        let keys = [self.text("zort_key1"), self.text("zort_key2"), self.text("zort_key3")];
        if keys.iter().any(|k| !k.is_empty()) {
            body.insert("zort".into(), json!({"key1": keys[0], "key2": keys[1], "key3": keys[2]}));
        } else if !editing || self.text("dialect") != "zort" {
            // Blank keys on an edit of a zort endpoint keep the current ones; any other dialect has none.
            body.insert("zort".into(), Value::Null);
        }
        if !self.text("oauth_token_url").is_empty() && (!editing || !self.text("oauth_client_secret").is_empty()) {
            let mut auth = json!({
                "type": "oauth2",
                "token_url": self.text("oauth_token_url"),
                "client_id": self.text("oauth_client_id"),
                "client_secret": self.text("oauth_client_secret"),
            });
            if !self.text("oauth_scope").is_empty() {
                auth["scope"] = json!(self.text("oauth_scope"));
            }
            body.insert("auth".into(), auth);
        } else if !editing || self.text("oauth_token_url").is_empty() {
            body.insert("auth".into(), Value::Null);
        }
        if !editing {
            body.retain(|_, v| !v.is_null());
        }
        Ok(body)
    }

    fn retry_schedule(&self) -> Result<Value, ApiError> {
        match self.text("retry") {
            "" | "default" => Ok(json!("default")),
            "custom" => {
                let waits = self
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
    const GROUPS: [&str; 9] =
        ["url", "dialect", "description", "event_types", "headers", "retry_schedule", "timeout_ms", "zort", "auth"];
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
    values: &FormValues,
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
                label { input type="checkbox" name="signature_headers" checked[!editing && values.fields.is_empty() || values.checked("signature_headers")]; " Send kurir's webhook-* signature headers in the dealpos and zort dialects" }
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

    fn posted(pairs: &[(&str, &str)]) -> FormValues {
        FormValues::posted(pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect())
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
        let body = values.settings(false).ok().unwrap_or_default();
        assert_eq!(body["url"], "https://example.com/hook");
        assert_eq!(body["event_types"], json!(["product.created", "invoice.created"]));
        assert_eq!(body["retry_schedule"], json!([5, 60, 600]));
        assert_eq!(body["headers"], json!({"X-Shop": "7"}));
        assert!(!body.contains_key("zort") && !body.contains_key("auth") && !body.contains_key("timeout_ms"));
    }

    #[test]
    fn malformed_fields_are_named() {
        let waits = posted(&[("retry", "custom"), ("retry_waits", "5, soon")]).settings(false);
        assert_eq!(waits.err().and_then(|e| e.field), Some("retry_schedule".into()));
        let headers = posted(&[("headers", "X-Ok: 1\nbroken")]).settings(false);
        let err = headers.err();
        assert_eq!(err.as_ref().and_then(|e| e.field.clone()), Some("headers".into()));
        assert!(err.is_some_and(|e| e.message.contains("line 2")));
        let timeout = posted(&[("timeout_ms", "soon")]).settings(false);
        assert_eq!(timeout.err().and_then(|e| e.field), Some("timeout_ms".into()));
    }

    #[test]
    fn an_edit_keeps_secrets_left_blank() {
        let values = posted(&[
            ("url", "https://example.com"),
            ("dialect", "zort"),
            ("oauth_token_url", "https://auth.example.com/token"),
        ]);
        let body = values.settings(true).ok().unwrap_or_default();
        assert!(!body.contains_key("zort"), "blank keys keep the current ones");
        assert!(!body.contains_key("auth"), "OAuth without its secret keeps the current settings");
        let standard = posted(&[("url", "https://example.com"), ("dialect", "standard")]).settings(true);
        let standard = standard.ok().unwrap_or_default();
        assert_eq!(standard.get("zort"), Some(&Value::Null), "leaving zort drops its keys");
        assert_eq!(standard.get("auth"), Some(&Value::Null), "a blank token URL drops OAuth");
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
