//! How kurir's values are written into database columns: ids as text, and the structured fields of endpoints,
//! events and sources as JSON text. Shared by every backend, so a row written by one reads back in another
//! (`kurir store copy` moves rows as they are).

use std::collections::BTreeMap;
use std::str::FromStr;

use kurir_core::circuit::Circuit;
use kurir_core::delivery::SentRequest;
use kurir_core::endpoint::{Endpoint, EndpointAuth, SigningSecret, ZortKeys};
use kurir_core::event::ZortParams;
use kurir_core::retry::RetrySchedule;
use kurir_core::source::SourceVerify;
use serde_json::{json, Value};

use crate::StoreError;

/// Parses an id column into its type.
pub(crate) fn parse<T: FromStr>(table: &'static str, text: String) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|err| StoreError::corrupt(table, format!("`{text}`: {err}")))
}

pub(crate) fn auth_json(auth: Option<&EndpointAuth>) -> Option<String> {
    auth.map(|auth| match auth {
        EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope } => json!({"oauth2": {
            "token_url": token_url, "client_id": client_id, "client_secret": client_secret, "scope": scope,
        }})
        .to_string(),
    })
}

pub(crate) fn decode_auth(text: Option<String>) -> Result<Option<EndpointAuth>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| StoreError::corrupt("endpoints", err))?;
    let oauth = &value["oauth2"];
    let field = |name: &str| {
        oauth[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| StoreError::corrupt("endpoints", format!("auth {name} missing")))
    };
    Ok(Some(EndpointAuth::OAuth2 {
        token_url: field("token_url")?,
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        scope: oauth["scope"].as_str().map(str::to_owned),
    }))
}

pub(crate) fn decode_zort_keys(text: Option<String>) -> Result<Option<ZortKeys>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| StoreError::corrupt("endpoints", err))?;
    let key = |name: &str| {
        value[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| StoreError::corrupt("endpoints", format!("zort key {name} missing")))
    };
    Ok(Some(ZortKeys { key1: key("key1")?, key2: key("key2")?, key3: key("key3")? }))
}

pub(crate) fn zort_keys_json(keys: Option<&ZortKeys>) -> Option<String> {
    keys.map(|k| json!({"key1": k.key1, "key2": k.key2, "key3": k.key3}).to_string())
}

pub(crate) fn params_json(params: Option<&ZortParams>) -> Option<String> {
    params.map(|p| json!({"id": p.id, "number": p.number, "paymentstatus": p.paymentstatus}).to_string())
}

pub(crate) fn decode_params(text: Option<String>) -> Result<Option<ZortParams>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| StoreError::corrupt("events", err))?;
    let field = |name: &str| value[name].as_str().map(str::to_owned);
    Ok(Some(ZortParams { id: field("id"), number: field("number"), paymentstatus: field("paymentstatus") }))
}

/// The JSON columns of an endpoint: (event_types, headers, secrets, retry_schedule).
pub(crate) fn endpoint_json(endpoint: &Endpoint) -> (Option<String>, String, String, Option<String>) {
    let secrets: Vec<Value> =
        endpoint.secrets.iter().map(|s| json!({"secret": s.secret, "expires_at_ms": s.expires_at_ms})).collect();
    (
        endpoint.event_types.as_ref().map(|types| json!(types).to_string()),
        json!(endpoint.headers).to_string(),
        Value::Array(secrets).to_string(),
        endpoint.retry_schedule.as_ref().map(|s| match s.preset_name() {
            Some(name) => json!(name).to_string(),
            None => json!(s.waits_secs()).to_string(),
        }),
    )
}

/// A schedule is stored as its preset's name (`"dealpos"`) or as its list of waits.
pub(crate) fn decode_schedule(text: &str) -> Result<RetrySchedule, StoreError> {
    match serde_json::from_str::<Value>(text).map_err(|err| StoreError::corrupt("endpoints", err))? {
        Value::String(name) => RetrySchedule::preset(&name)
            .ok_or_else(|| StoreError::corrupt("endpoints", format!("unknown preset {name}"))),
        waits => {
            let waits: Vec<u32> = serde_json::from_value(waits).map_err(|err| StoreError::corrupt("endpoints", err))?;
            RetrySchedule::new(waits).map_err(|err| StoreError::corrupt("endpoints", err))
        }
    }
}

pub(crate) fn decode_secrets(text: &str) -> Result<Vec<SigningSecret>, StoreError> {
    let values: Vec<Value> = serde_json::from_str(text).map_err(|err| StoreError::corrupt("endpoints", err))?;
    values
        .into_iter()
        .map(|value| {
            let secret =
                value["secret"].as_str().ok_or_else(|| StoreError::corrupt("endpoints", "secret without text"))?;
            Ok(SigningSecret { secret: secret.to_owned(), expires_at_ms: value["expires_at_ms"].as_i64() })
        })
        .collect()
}

pub(crate) fn verify_json(verify: &SourceVerify) -> String {
    match verify {
        SourceVerify::Zort(k) => json!({"zort": {"key1": k.key1, "key2": k.key2, "key3": k.key3}}),
        SourceVerify::Dealpos { api_key } => json!({"dealpos": {"api_key": api_key}}),
        SourceVerify::Standard { secrets } => json!({"standard": {"secrets": secrets}}),
    }
    .to_string()
}

pub(crate) fn decode_verify(text: &str) -> Result<SourceVerify, StoreError> {
    let value: Value = serde_json::from_str(text).map_err(|err| StoreError::corrupt("sources", err))?;
    let text_at = |v: &Value, name: &str| {
        v[name].as_str().map(str::to_owned).ok_or_else(|| StoreError::corrupt("sources", format!("{name} missing")))
    };
    if let Some(zort) = value.get("zort") {
        return Ok(SourceVerify::Zort(ZortKeys {
            key1: text_at(zort, "key1")?,
            key2: text_at(zort, "key2")?,
            key3: text_at(zort, "key3")?,
        }));
    }
    if let Some(dealpos) = value.get("dealpos") {
        return Ok(SourceVerify::Dealpos { api_key: dealpos["api_key"].as_str().map(str::to_owned) });
    }
    if let Some(standard) = value.get("standard") {
        let secrets = standard["secrets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        return Ok(SourceVerify::Standard { secrets });
    }
    Err(StoreError::corrupt("sources", "unknown verify settings"))
}

/// Reads an endpoint's `headers` column.
pub(crate) fn decode_headers(text: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::corrupt("endpoints", err))
}

/// Reads an endpoint's `event_types` column.
pub(crate) fn decode_event_types(text: Option<String>) -> Result<Option<Vec<String>>, StoreError> {
    text.map(|text| serde_json::from_str(&text)).transpose().map_err(|err| StoreError::corrupt("endpoints", err))
}

/// Reads an endpoint's stored circuit breaker (`endpoint_health.circuit`, kurir-core's `Circuit::encode`).
/// An attempt's request as JSON text: `{"method", "url", "headers": [[name, value], ...], "body"}`.
/// The logged request as an attempt row keeps it. Written straight from the borrowed fields: building a
/// `serde_json::Value` first copied every header, in the writer thread, for every attempt (8 % of the writer's
/// time while a backlog drained). The fields are in the order the `Value` gave them, so the text is the same.
#[derive(serde::Serialize)]
struct StoredRequest<'a> {
    body: &'a str,
    headers: &'a [(String, String)],
    method: &'a str,
    url: &'a str,
}

pub(crate) fn request_json(request: Option<&SentRequest>) -> Option<String> {
    let r = request?;
    serde_json::to_string(&StoredRequest { body: &r.body, headers: &r.headers, method: &r.method, url: &r.url }).ok()
}

pub(crate) fn decode_request(text: Option<String>) -> Result<Option<SentRequest>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| StoreError::corrupt("attempts", err))?;
    let field = |name: &str| value[name].as_str().map(str::to_owned);
    let (Some(method), Some(url), Some(body)) = (field("method"), field("url"), field("body")) else {
        return Err(StoreError::corrupt("attempts", "a request without method, url or body"));
    };
    Ok(Some(SentRequest { method, url, headers: header_pairs(&value["headers"])?, body }))
}

/// A header list as JSON text (`[[name, value], ...]`); `None` when empty.
pub(crate) fn header_list_json(headers: &[(String, String)]) -> Option<String> {
    if headers.is_empty() {
        return None;
    }
    serde_json::to_string(headers).ok()
}

pub(crate) fn decode_header_list(text: Option<String>) -> Result<Vec<(String, String)>, StoreError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let value: Value = serde_json::from_str(&text).map_err(|err| StoreError::corrupt("attempts", err))?;
    header_pairs(&value)
}

fn header_pairs(value: &Value) -> Result<Vec<(String, String)>, StoreError> {
    serde_json::from_value(value.clone()).map_err(|err| StoreError::corrupt("attempts", err))
}

pub(crate) fn decode_circuit(text: &str) -> Result<Circuit, StoreError> {
    Circuit::decode(text).map_err(|err| StoreError::corrupt("endpoint_health", err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> SentRequest {
        SentRequest {
            method: "POST".into(),
            url: "https://example.com/hook?a=\"b\"".into(),
            headers: vec![("content-type".into(), "application/json".into()), ("webhook-id".into(), "msg_1".into())],
            body: "{\"id\":1,\"text\":\"line\\nbreak é\"}".into(),
        }
    }

    #[test]
    fn a_logged_request_is_stored_as_the_value_form_wrote_it_and_reads_back() {
        let r = sent();
        let as_value = json!({"method": r.method, "url": r.url, "headers": r.headers, "body": r.body}).to_string();
        let stored = request_json(Some(&r));
        assert_eq!(stored.as_deref(), Some(as_value.as_str()), "the text of older rows");
        assert_eq!(decode_request(stored).unwrap_or_else(|e| panic!("{e}")), Some(r));
        assert_eq!(request_json(None), None);
    }

    #[test]
    fn a_header_list_is_stored_as_pairs_and_none_when_empty() {
        let headers = sent().headers;
        let stored = header_list_json(&headers);
        assert_eq!(stored.as_deref(), Some(json!(headers).to_string().as_str()));
        assert_eq!(decode_header_list(stored).unwrap_or_else(|e| panic!("{e}")), headers);
        assert_eq!(header_list_json(&[]), None);
    }
}
