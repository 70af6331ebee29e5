//! The CLI's client for a running kurir's REST API: `--url` and `--token` (`KURIR_URL`, `KURIR_TOKEN`), and
//! failures as one line that names the problem (kurir cannot be reached, the token is refused, the API's own error
//! with the field it names).

use anyhow::{anyhow, Context};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::cli::ServerArgs;

#[derive(Clone)]
pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(server: &ServerArgs) -> anyhow::Result<ApiClient> {
        let base = server.url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base).map_err(|err| anyhow!("--url {base} is not a URL: {err}"))?;
        let token = server
            .token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| anyhow!("no token: give --token or set KURIR_TOKEN (the admin token or an API key)"))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().no_proxy().build().context("cannot build the HTTP client")?;
        Ok(ApiClient { base, token, http })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// A POST that kurir publishes at most once under `key` (its `Idempotency-Key`).
    pub async fn post_with_key(&self, path: &str, body: &Value, key: &str) -> anyhow::Result<Value> {
        self.call_with(Method::POST, path, Some(body), Some(key)).await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::DELETE, path, None).await
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        self.call_with(method, path, body, None).await
    }

    async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url).bearer_auth(&self.token);
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.map_err(|err| unreachable_error(&self.base, &err))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) });
        }
        Err(api_error(&method, path, status, &text))
    }

    /// The tenant to work on: `--tenant`, or the only tenant the token sees.
    pub async fn tenant(&self, given: Option<&str>) -> anyhow::Result<String> {
        if let Some(tenant) = given {
            return Ok(tenant.to_owned());
        }
        let listed = self.get("/v1/tenants").await?;
        let ids: Vec<&str> = listed["data"].as_array().into_iter().flatten().filter_map(|t| t["id"].as_str()).collect();
        match ids.as_slice() {
            [only] => Ok((*only).to_owned()),
            [] => Err(anyhow!("there is no tenant yet: create one (POST /v1/tenants) or give --tenant")),
            _ => Err(anyhow!("this token sees {} tenants: name one with --tenant", ids.len())),
        }
    }
}

fn unreachable_error(base: &str, err: &reqwest::Error) -> anyhow::Error {
    let mut cause = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    anyhow!("cannot reach kurir at {base}: {cause}")
}

/// The API's error as one line: `POST /v1/...: 400 invalid_request: payload.ID is required (field payload.ID)`.
fn api_error(method: &Method, path: &str, status: StatusCode, body: &str) -> anyhow::Error {
    if status == StatusCode::UNAUTHORIZED {
        return anyhow!("the token was refused (401): give the admin token or a valid, unrevoked API key");
    }
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let error = &parsed["error"];
    let message = error["message"].as_str().map(str::to_owned).unwrap_or_else(|| body.chars().take(200).collect());
    let code = error["code"].as_str().unwrap_or("error");
    match error["field"].as_str() {
        Some(field) => anyhow!("{method} {path}: {} {code}: {field}: {message}", status.as_u16()),
        None => anyhow!("{method} {path}: {} {code}: {message}", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_read_as_one_line_naming_the_field() {
        let body = r#"{"error":{"code":"invalid_request","message":"is required","field":"payload.ID"}}"#;
        let err = api_error(&Method::POST, "/v1/tenants/acme/events", StatusCode::BAD_REQUEST, body).to_string();
        assert_eq!(err, "POST /v1/tenants/acme/events: 400 invalid_request: payload.ID: is required");
        let refused = api_error(&Method::GET, "/v1/tenants", StatusCode::UNAUTHORIZED, "").to_string();
        assert!(refused.starts_with("the token was refused"));
        let plain = api_error(&Method::GET, "/x", StatusCode::BAD_GATEWAY, "upstream down").to_string();
        assert_eq!(plain, "GET /x: 502 error: upstream down");
    }
}
