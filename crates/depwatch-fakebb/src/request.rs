//! The request as handlers see it, and response builders in Bitbucket's formats.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::paging::PageRequest;

/// A received request, decoded once.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Path exactly as received (percent-encoded, context path included).
    pub raw_path: String,
    /// Decoded path segments after the context path.
    pub segments: Vec<String>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// First value of query parameter `name`.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether query parameter `name` is exactly `true` (Bitbucket ignores other values).
    pub fn q_true(&self, name: &str) -> bool {
        self.q(name) == Some("true")
    }

    /// Header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `start`/`limit`, or a 400 naming the bad parameter.
    pub fn page(&self) -> Result<PageRequest, Response> {
        PageRequest::from_query(&self.query).map_err(|m| {
            error(
                StatusCode::BAD_REQUEST,
                &m,
                "com.atlassian.bitbucket.validation.ArgumentValidationException",
            )
        })
    }

    /// Body parsed as JSON, or a 400 naming the problem.
    pub fn json_body(&self) -> Result<Value, Response> {
        if self.body.is_empty() {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("Request body is not valid JSON: {e}"),
                "com.fasterxml.jackson.core.JsonParseException",
            )
        })
    }

    /// Form-encoded body pairs when the content type says so.
    pub fn form_body(&self) -> Vec<(String, String)> {
        let is_form = self
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Vec::new();
        }
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// Response with a body and content type.
pub(crate) fn with_body(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// JSON response.
pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    with_body(
        status,
        "application/json;charset=UTF-8",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// 200 JSON.
pub(crate) fn ok(value: &Value) -> Response {
    json(StatusCode::OK, value)
}

/// Bitbucket `errors[]` response.
pub(crate) fn error(status: StatusCode, message: &str, exception: &str) -> Response {
    json(status, &crate::shapes::errors(message, exception))
}

/// Empty response with a status (204, or the do-nothing GET on OAuth servlets).
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

/// HTML response.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    with_body(status, "text/html;charset=UTF-8", body)
}

/// Plain text response.
pub(crate) fn text(status: StatusCode, body: String) -> Response {
    with_body(status, "text/plain;charset=UTF-8", body)
}

/// 404 for unknown routes, as the fake's "proxy" page.
pub(crate) fn html_not_found(path: &str) -> Response {
    html(
        StatusCode::NOT_FOUND,
        format!(
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>\n<p>The requested URL {} was not found on this server.</p>\n</body></html>\n",
            escape_html(path)
        ),
    )
}

/// 401 "not permitted" for insufficient permission.
pub(crate) fn not_permitted() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "You are not permitted to access this resource",
        "com.atlassian.bitbucket.AuthorisationException",
    )
}

/// 405 for a known path with the wrong method.
pub(crate) fn method_not_allowed(method: &Method) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method {method} is not supported for this resource"),
        "com.sun.jersey.api.NotFoundException",
    )
}

/// Minimal HTML escaping for text placed in pages.
pub(crate) fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
