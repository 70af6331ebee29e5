//! A webhook receiver for tests: an axum server on 127.0.0.1:0 that records every request and answers with
//! whatever the test's responder decides (status, headers, delay).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub delay: Duration,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply { status, headers: Vec::new(), delay: Duration::ZERO, body: format!("answer {status}") }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn body(mut self, text: &str) -> Self {
        self.body = text.to_owned();
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Responder = Box<dyn Fn(&Received, usize) -> Reply + Send + Sync>;

struct Shared {
    received: Mutex<Vec<Received>>,
    /// The requests answered 2xx, recorded when the answer is ready (after any delay).
    answered: Mutex<Vec<Received>>,
    responder: Responder,
}

#[derive(Clone)]
pub struct Receiver {
    shared: Arc<Shared>,
    pub url: String,
}

impl Receiver {
    /// A receiver whose answer to the `n`th request (0-based) is `responder(&request, n)`.
    pub async fn start(responder: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Self {
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            answered: Mutex::new(Vec::new()),
            responder: Box::new(responder),
        });
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("cannot bind a test receiver: {err}"),
        };
        let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let app = axum::Router::new().fallback(record).with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { shared, url: format!("http://{address}") }
    }

    /// Answers 200 to everything.
    pub async fn ok() -> Self {
        Self::start(|_, _| Reply::status(200)).await
    }

    /// Answers the scripted statuses in order, then `then` forever.
    pub async fn script(statuses: Vec<Reply>, then: Reply) -> Self {
        Self::start(move |_, n| statuses.get(n).cloned().unwrap_or_else(|| then.clone())).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The requests answered with a 2xx so far (a request still waiting out its delay is not among them).
    pub fn answered(&self) -> Vec<Received> {
        self.shared.answered.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.shared.received.lock().map(|r| r.len()).unwrap_or_default()
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Received {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.to_vec(),
        at: Instant::now(),
    };
    let reply = {
        let Ok(mut received) = shared.received.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let reply = (shared.responder)(&request, received.len());
        received.push(request.clone());
        reply
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if (200..300).contains(&reply.status) {
        if let Ok(mut answered) = shared.answered.lock() {
            answered.push(request);
        }
    }
    let mut response = (StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK), reply.body).into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
