//! The `zort` dialect: what ZORT itself sends.
//!
//! `POST {url}?method=<TRIGGER>`, plus `id`, `number` and `paymentstatus` for the triggers whose docs list them
//! (from the publish's `params`, else from the payload's top-level fields); body
//! `application/x-www-form-urlencoded` with the single field `payload` holding the JSON; headers
//! `Authorization: Basic {key1}` (literally "Basic ", then key1: not RFC 7617), `key1`, `key2`, `key3`. ZORT sends
//! no signature; kurir adds its `webhook-*` headers unless the endpoint turns them off.

use kurir_core::catalog::ZortTrigger;
use kurir_core::endpoint::Endpoint;
use kurir_core::event::{Event, ZortParams};
use serde_json::Value;

use crate::request::base_headers;
use crate::{signature, OutboundRequest, WireError};

pub fn encode(
    event: &Event,
    endpoint: &Endpoint,
    trigger: Option<&ZortTrigger>,
    now_ms: i64,
) -> Result<OutboundRequest, WireError> {
    let url = target(event, endpoint, trigger)?;
    let body =
        form_urlencoded::Serializer::new(String::new()).append_pair("payload", &event.payload).finish().into_bytes();
    let mut headers = base_headers("application/x-www-form-urlencoded", endpoint);
    let keys = endpoint.zort_keys.as_ref().ok_or(WireError::MissingZortKeys)?;
    headers.push(("authorization".to_owned(), format!("Basic {}", keys.key1)));
    headers.push(("key1".to_owned(), keys.key1.clone()));
    headers.push(("key2".to_owned(), keys.key2.clone()));
    headers.push(("key3".to_owned(), keys.key3.clone()));
    if endpoint.signature_headers {
        headers.extend(signature::headers(&crate::secrets_at(endpoint, now_ms)?, event.id.as_str(), now_ms, &body));
    }
    Ok(OutboundRequest { method: "POST", url, headers, body })
}

/// The endpoint URL with `method` and the trigger's documented parameters appended to its query.
fn target(event: &Event, endpoint: &Endpoint, trigger: Option<&ZortTrigger>) -> Result<String, WireError> {
    let mut url = url::Url::parse(&endpoint.url_for(&event.event_type)).map_err(|_| WireError::InvalidUrl)?;
    let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("method", &event.event_type);
        for name in trigger.map(|t| t.query.as_slice()).unwrap_or_default() {
            if let Some(value) = parameter(event.params.as_ref(), &payload, name) {
                query.append_pair(name, &value);
            }
        }
    }
    Ok(url.into())
}

/// The query parameters a trigger's doc requires (every one it lists) that neither the publisher's `params` nor
/// the payload's top-level fields give: publishing without them would send a request ZORT's receivers refuse.
pub fn missing_parameters(trigger: &ZortTrigger, params: Option<&ZortParams>, payload: &Value) -> Vec<String> {
    trigger.query.iter().filter(|name| parameter(params, payload, name).is_none()).cloned().collect()
}

/// A query parameter's value: the publisher's `params` first, else the payload's top-level field of that name.
fn parameter(params: Option<&ZortParams>, payload: &Value, name: &str) -> Option<String> {
    if let Some(value) = params.and_then(|p| p.get(name)) {
        return Some(value.to_owned());
    }
    match payload.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use kurir_core::endpoint::Dialect;
    use kurir_core::event::ZortParams;

    use super::*;
    use crate::test_support::{endpoint, event};

    fn trigger(query: &[&str]) -> ZortTrigger {
        ZortTrigger {
            url_field: "updateorderpaymenturl".into(),
            query: query.iter().map(|q| (*q).to_owned()).collect(),
            fallback_url_field: None,
        }
    }

    fn payment_event() -> Event {
        Event {
            event_type: "UPDATEORDERPAYMENT".into(),
            payload: r#"{"id":1234,"number":"SO-0001","paymentstatus":"Paid","amount":"20.00"}"#.into(),
            ..event()
        }
    }

    #[test]
    fn pinned_request() {
        let mut endpoint = endpoint(Dialect::Zort);
        endpoint.url = "https://erp.example.com/zort?store=7".into();
        endpoint.signature_headers = false;
        let trigger = trigger(&["id", "number", "paymentstatus"]);
        let request = encode(&payment_event(), &endpoint, Some(&trigger), 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://erp.example.com/zort?store=7&method=UPDATEORDERPAYMENT&id=1234&number=SO-0001&paymentstatus=Paid"
        );
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            "payload=%7B%22id%22%3A1234%2C%22number%22%3A%22SO-0001%22%2C%22paymentstatus%22%3A%22Paid%22%2C%22amount%22%3A%2220.00%22%7D"
        );
        let headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            headers,
            [
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-store", "42"),
                ("authorization", "Basic k-one"),
                ("key1", "k-one"),
                ("key2", "k-two"),
                ("key3", "k-three"),
            ]
        );
    }

    #[test]
    fn params_win_over_the_payload_and_only_documented_parameters_are_sent() {
        let endpoint = endpoint(Dialect::Zort);
        let tracking = Event {
            event_type: "UPDATEORDERTRACKING".into(),
            payload: r#"[{"trackingno":"THP0001"}]"#.into(),
            params: Some(ZortParams { id: Some("99".into()), number: Some("SO-0099".into()), paymentstatus: None }),
            ..event()
        };
        let request =
            encode(&tracking, &endpoint, Some(&trigger(&["id", "number"])), 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            request.url,
            "https://example.com/hooks/UPDATEORDERTRACKING?method=UPDATEORDERTRACKING&id=99&number=SO-0099"
        );
        let plain = encode(&payment_event(), &endpoint, Some(&trigger(&[])), 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(plain.url.ends_with("?method=UPDATEORDERPAYMENT"), "{}", plain.url);
        let custom = encode(&payment_event(), &endpoint, None, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(custom.url.ends_with("?method=UPDATEORDERPAYMENT"), "{}", custom.url);
        assert!(request.header("webhook-signature").is_some(), "kurir's signature goes along by default");
    }

    #[test]
    fn the_body_decodes_back_to_the_payload() {
        let request = encode(&payment_event(), &endpoint(Dialect::Zort), None, 0).unwrap_or_else(|e| panic!("{e}"));
        let fields: Vec<(String, String)> = form_urlencoded::parse(&request.body).into_owned().collect();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0, "payload");
        assert_eq!(fields[0].1, payment_event().payload);
    }

    #[test]
    fn parameters_the_doc_requires_are_missing_when_neither_params_nor_payload_give_them() {
        let tracking = trigger(&["id", "number"]);
        let array = serde_json::json!([{"trackingno": "T1"}]);
        assert_eq!(missing_parameters(&tracking, None, &array), vec!["id".to_owned(), "number".to_owned()]);
        let params = ZortParams { id: Some("7".into()), number: Some("SO-7".into()), paymentstatus: None };
        assert!(missing_parameters(&tracking, Some(&params), &array).is_empty());
        let payload = serde_json::json!({"id": 7, "number": "SO-7"});
        assert!(missing_parameters(&tracking, None, &payload).is_empty(), "top-level fields count");
        let only_id = ZortParams { id: Some("7".into()), ..ZortParams::default() };
        assert_eq!(missing_parameters(&tracking, Some(&only_id), &array), vec!["number".to_owned()]);
    }
}
