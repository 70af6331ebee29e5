//! Reading a received webhook in any of kurir's dialects into one shape, [`Webhook`]: its event type, its payload,
//! and what else the dialect carries.
//!
//! - `standard` (Standard Webhooks): a JSON body `{"type", "timestamp", "data"}`; the payload is `data`.
//! - `dealpos`: the body is the payload itself; DealPOS puts the event type only in the URL (one URL per type, the
//!   last path segment when the URL was made from `…/{event}`).
//! - `zort`: `?method=<TRIGGER>` (and `id`, `number`, `paymentstatus` for some triggers); the body is a form field
//!   `payload` holding the JSON (a raw JSON body, or `{"payload": …}`, are read too).

use serde_json::Value;

use crate::{CatalogEvent, VerifyError};

/// Which wire format a webhook came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Standard,
    Dealpos,
    Zort,
}

/// One received webhook, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub dialect: Dialect,
    /// The catalog's name of the event type (`productCreated`, `ADDPRODUCT`).
    pub event_type: String,
    /// The `webhook-id` header (kurir sends the event id), when present: a receiver can drop repeats by it.
    pub id: Option<String>,
    /// The event's payload, as its publisher sent it.
    pub payload: Value,
    /// ZORT's query parameters beside `method` (`id`, `number`, `paymentstatus`), in order.
    pub params: Vec<(String, String)>,
}

impl Webhook {
    /// The payload as its catalog type ([`CatalogEvent::Custom`] for a type the catalog does not have).
    pub fn event(&self) -> Result<CatalogEvent, VerifyError> {
        CatalogEvent::parse(&self.event_type, &self.payload)
            .map_err(|err| VerifyError::Payload { event_type: self.event_type.clone(), message: err.to_string() })
    }
}

/// A received request, as any HTTP server hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The request target: a path with its query (`/hooks/productCreated?x=1`) or a whole URL.
    pub target: &'a str,
    /// The headers, by name (any case).
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| *value)
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let query = query.split('#').next().unwrap_or("");
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    /// The last segment of the target's path (`productCreated` in `/hooks/productCreated?x=1`).
    fn last_path_segment(&self) -> Option<String> {
        let path = self.target.split(['?', '#']).next().unwrap_or("");
        let path = path.split_once("://").map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p)).unwrap_or(path);
        // Event type names are letters, digits, `_`, `-` and `.`: nothing a URL escapes.
        path.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_owned)
    }
}

/// Decodes a request in whichever dialect it came in: ZORT when it has `?method=`, Standard Webhooks when the body
/// is `{"type", "timestamp", "data"}`, DealPOS otherwise (the event type from the URL's last path segment).
pub fn decode(request: &Request<'_>) -> Result<Webhook, VerifyError> {
    if request.query_pairs().iter().any(|(name, _)| name == "method") {
        return decode_zort(request);
    }
    let value: Value = json(request.body)?;
    let is_standard = value.as_object().is_some_and(|o| {
        o.len() == 3
            && o.get("type").is_some_and(Value::is_string)
            && o.contains_key("timestamp")
            && o.contains_key("data")
    });
    if is_standard {
        return decode_standard(request);
    }
    let event_type = request.last_path_segment().ok_or_else(|| {
        VerifyError::Malformed("a DealPOS webhook names its event type in the URL's last segment".into())
    })?;
    decode_dealpos(request, &event_type)
}

/// A Standard Webhooks request: `{"type", "timestamp", "data"}`.
pub fn decode_standard(request: &Request<'_>) -> Result<Webhook, VerifyError> {
    let mut value: Value = json(request.body)?;
    let event_type = value["type"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| VerifyError::Malformed("the body has no `type` string".into()))?;
    let payload = value
        .get_mut("data")
        .map(Value::take)
        .ok_or_else(|| VerifyError::Malformed("the body has no `data`".into()))?;
    Ok(Webhook { dialect: Dialect::Standard, event_type, id: id_of(request), payload, params: Vec::new() })
}

/// A DealPOS request of `event_type` (DealPOS says it only by which URL it posts to).
pub fn decode_dealpos(request: &Request<'_>, event_type: &str) -> Result<Webhook, VerifyError> {
    Ok(Webhook {
        dialect: Dialect::Dealpos,
        event_type: event_type.to_owned(),
        id: id_of(request),
        payload: json(request.body)?,
        params: Vec::new(),
    })
}

/// A ZORT request: the trigger in `?method=`, the payload in the body.
pub fn decode_zort(request: &Request<'_>) -> Result<Webhook, VerifyError> {
    let mut params = request.query_pairs();
    let at = params
        .iter()
        .position(|(name, _)| name == "method")
        .ok_or_else(|| VerifyError::Malformed("a ZORT webhook names its trigger in ?method=".into()))?;
    let (_, event_type) = params.remove(at);
    let text = zort_payload(request.header("content-type").unwrap_or(""), request.body)?;
    let payload = serde_json::from_str(&text).map_err(|err| VerifyError::Malformed(format!("payload: {err}")))?;
    Ok(Webhook { dialect: Dialect::Zort, event_type, id: id_of(request), payload, params })
}

fn id_of(request: &Request<'_>) -> Option<String> {
    request.header(crate::signature::HEADER_ID).map(str::to_owned)
}

fn json(body: &[u8]) -> Result<Value, VerifyError> {
    serde_json::from_slice(body).map_err(|err| VerifyError::Malformed(format!("the body is not JSON: {err}")))
}

/// The payload JSON text of a ZORT request whose body is not multipart: a form field `payload`, a raw JSON body,
/// or `{"payload": <JSON or JSON text>}`. The text is kept as sent where it can be. (ZORT's docs do not state the
/// encoding; kurir's own inbound sources read ZORT's requests with this too.)
pub fn zort_payload(content_type: &str, body: &[u8]) -> Result<String, VerifyError> {
    if content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        let field =
            form_urlencoded::parse(body).find(|(name, _)| name == "payload").map(|(_, value)| value.into_owned());
        let text = field.ok_or(VerifyError::Malformed("the form has no `payload` field".into()))?;
        return checked_json(text);
    }
    let text = std::str::from_utf8(body).map_err(|_| VerifyError::Malformed("the body is not UTF-8".into()))?;
    let value: Value =
        serde_json::from_str(text).map_err(|err| VerifyError::Malformed(format!("the body is not JSON: {err}")))?;
    match value {
        Value::Object(mut object) if object.len() == 1 && object.contains_key("payload") => {
            match object.remove("payload") {
                Some(Value::String(inner)) => checked_json(inner),
                Some(inner) => Ok(inner.to_string()),
                None => Err(VerifyError::Malformed("empty payload".into())),
            }
        }
        _ => Ok(text.to_owned()),
    }
}

/// `text` itself when it is JSON; otherwise an error that says why.
pub fn checked_json(text: String) -> Result<String, VerifyError> {
    match serde_json::from_str::<Value>(&text) {
        Ok(_) => Ok(text),
        Err(err) => Err(VerifyError::Malformed(format!("payload is not valid JSON: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request<'a>(target: &'a str, headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> Request<'a> {
        Request { target, headers, body }
    }

    #[test]
    fn a_standard_body_gives_its_type_and_data() {
        let body = br#"{"type":"productCreated","timestamp":"2026-11-24T08:00:00Z","data":{"ID":"p-1"}}"#;
        let webhook = decode(&request("/hooks", &[("Webhook-Id", "evt_1")], body));
        let webhook = webhook.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(webhook.dialect, Dialect::Standard);
        assert_eq!((webhook.event_type.as_str(), webhook.id.as_deref()), ("productCreated", Some("evt_1")));
        assert_eq!(webhook.payload, json!({"ID": "p-1"}));
    }

    #[test]
    fn a_dealpos_body_is_the_payload_and_the_url_names_the_type() {
        let webhook = decode(&request("https://shop.example/hooks/productCreated?v=2", &[], br#"{"ID":"p-1"}"#));
        let webhook = webhook.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((webhook.dialect, webhook.event_type.as_str()), (Dialect::Dealpos, "productCreated"));
        assert_eq!(webhook.payload, json!({"ID": "p-1"}));
        assert!(decode(&request("/", &[], b"{}")).is_err(), "no segment, no type");
    }

    #[test]
    fn a_zort_request_gives_its_trigger_parameters_and_payload() {
        let headers = [("Content-Type", "application/x-www-form-urlencoded")];
        let body = b"payload=%7B%22id%22%3A7%7D";
        let webhook = decode(&request("/zort?method=UPDATEORDERPAYMENT&id=7&paymentstatus=Paid", &headers, body));
        let webhook = webhook.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((webhook.dialect, webhook.event_type.as_str()), (Dialect::Zort, "UPDATEORDERPAYMENT"));
        assert_eq!(webhook.payload, json!({"id": 7}));
        assert_eq!(webhook.params, vec![("id".into(), "7".into()), ("paymentstatus".into(), "Paid".into())]);
    }

    #[test]
    fn bodies_that_are_not_json_say_so() {
        let err = decode(&request("/hooks/productCreated", &[], b"<html>")).err();
        assert!(matches!(err, Some(VerifyError::Malformed(m)) if m.contains("not JSON")));
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let err = decode(&request("/z?method=ADDPRODUCT", &form, b"other=1")).err();
        assert!(matches!(err, Some(VerifyError::Malformed(m)) if m.contains("payload")));
    }

    #[test]
    fn zort_bodies() {
        let form = "application/x-www-form-urlencoded";
        assert_eq!(zort_payload(form, b"payload=%7B%22id%22%3A1%7D").ok().as_deref(), Some(r#"{"id":1}"#));
        assert_eq!(zort_payload("application/json", br#"{"id": 1}"#).ok().as_deref(), Some(r#"{"id": 1}"#));
        assert_eq!(zort_payload("", br#"{"payload": "{\"id\":1}"}"#).ok().as_deref(), Some(r#"{"id":1}"#));
        assert_eq!(zort_payload("", br#"{"payload": {"id": 1}}"#).ok().as_deref(), Some(r#"{"id":1}"#));
        assert_eq!(zort_payload("", br#"[{"trackingno": "T"}]"#).ok().as_deref(), Some(r#"[{"trackingno": "T"}]"#));
        let malformed = "payload=%7B%22id%22%3A%20%221234%2C%7D";
        assert!(matches!(zort_payload(form, malformed.as_bytes()), Err(VerifyError::Malformed(_))));
        assert!(matches!(zort_payload(form, b"other=1"), Err(VerifyError::Malformed(_))));
        assert!(matches!(zort_payload("", b"{\"id\": \"1234,"), Err(VerifyError::Malformed(_))));
    }
}
