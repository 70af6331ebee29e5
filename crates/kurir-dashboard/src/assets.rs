//! The dashboard's stylesheet and script, embedded in the binary: no front-end build, no second server.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../assets/kurir.css");
const LIVE_SCRIPT: &str = include_str!("../assets/live.js");

/// The stylesheet's and the script's URLs, for the page shell.
pub const STYLESHEET_URL: &str = "/ui/assets/kurir.css";
pub const LIVE_SCRIPT_URL: &str = "/ui/assets/live.js";

pub async fn serve(Path(name): Path<String>) -> Response {
    let (body, content_type) = match name.as_str() {
        "kurir.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "live.js" => (LIVE_SCRIPT, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    // Assets change only with the binary; an hour's caching keeps page loads to one request.
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
