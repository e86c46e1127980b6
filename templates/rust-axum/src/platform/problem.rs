//! RFC 9457 problem details (`application/problem+json`) for every error response.
//!
//! Handlers and middleware return a [`Problem`]; [`render`], which every request passes
//! through, writes it out with the request path as `instance`, and the trace id while a span is
//! active, so that a client's error report leads to the trace. `render` also turns the plain-text
//! errors that axum produces itself (extractor rejections, a route's own body limit) into
//! problems, so no error leaves the service in another shape.

use std::borrow::Cow;

use axum::body::{self, Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header, response::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::platform::contract::logging::{event, message};
use crate::platform::contract::problem::{self as contract, Entry, field};
use crate::platform::telemetry::current_span;

/// Largest plain-text error body that is carried over into a problem's `detail`.
const MAX_DETAIL_BYTES: usize = 4096;

/// An error answered as a problem document. Handlers return it (`Result<T, Problem>`, with `?`
/// on anything that converts into one) with their own status, `type`, title, detail and
/// extension members, such as a 409 naming the conflicting resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    kind: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Cow<'static, str>,
    extensions: Map<String, Value>,
}

impl Problem {
    /// A problem of the service's own; prefer the contract's entries for the cases it covers.
    pub fn new(
        status: StatusCode,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            kind: Cow::Borrowed(contract::TYPE),
            title: title.into(),
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    /// The same problem with a `type` URI of its own instead of `about:blank`.
    #[must_use]
    pub fn with_type(mut self, kind: impl Into<Cow<'static, str>>) -> Self {
        self.kind = kind.into();
        self
    }

    /// The same problem with an extension member, written next to the standard ones; one named
    /// like a standard member is ignored, so it cannot contradict them.
    #[must_use]
    pub fn with_extension(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extensions.insert(name.into(), value.into());
        self
    }

    /// The problem for a 4xx/5xx a handler answered with no body: the reason phrase as title.
    fn bare(status: StatusCode) -> Self {
        let title = status.canonical_reason().unwrap_or_default();
        Self::new(status, title, contract::BARE_STATUS_DETAIL)
    }

    /// A plain-text error made by the framework. The text of a 5xx stays out of the answer, as
    /// it may carry internals.
    fn from_text(status: StatusCode, text: String) -> Self {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return contract::PAYLOAD_TOO_LARGE.into();
        }
        let detail = if status.is_server_error() {
            Cow::Borrowed(contract::INTERNAL.detail)
        } else {
            Cow::Owned(text)
        };
        let title = status.canonical_reason().unwrap_or_default();
        Self::new(status, title, detail)
    }

    fn into_response_with(self, mut parts: Parts, instance: &str) -> Response {
        let document = Document {
            problem: &self,
            instance,
            trace_id: current_span().map(|span| span.trace_id().to_string()),
        };
        let Ok(json) = serde_json::to_vec(&document) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        parts.status = self.status;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(contract::CONTENT_TYPE),
        );
        Response::from_parts(parts, Body::from(json))
    }
}

impl From<Entry> for Problem {
    fn from(entry: Entry) -> Self {
        let status =
            StatusCode::from_u16(entry.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, entry.title, entry.detail)
    }
}

/// `?` on any error in a handler returning `Result<_, Problem>`: the error is logged and the
/// client gets the internal problem, without the error's text, which may carry internals.
impl<E: std::error::Error> From<E> for Problem {
    fn from(error: E) -> Self {
        tracing::error!({ event::ERROR } = %error, "{}", message::FAILED);
        contract::INTERNAL.into()
    }
}

/// Marks the response with the problem; [`render`] writes the document.
impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware that writes problem documents: for responses marked with a [`Problem`], and for
/// plain-text error responses.
pub async fn render(request: Request, next: Next) -> Response {
    // The path stays with the request's bytes: a URI clone copies no text.
    let uri = request.uri().clone();
    let instance = uri.path();
    let mut response = next.run(request).await;
    if let Some(problem) = response.extensions_mut().remove::<Problem>() {
        let (parts, _) = response.into_parts();
        return problem.into_response_with(parts, instance);
    }
    if is_bare_error(&response) {
        let (parts, _) = response.into_parts();
        return Problem::bare(parts.status).into_response_with(parts, instance);
    }
    if !is_plain_text_error(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match body::to_bytes(body, MAX_DETAIL_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    Problem::from_text(parts.status, text).into_response_with(parts, instance)
}

/// A 4xx/5xx with no body and no content type: a bare `StatusCode`, the usual axum way.
fn is_bare_error(response: &Response) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && !response.headers().contains_key(header::CONTENT_TYPE)
        && response.body().size_hint().exact() == Some(0)
}

fn is_plain_text_error(response: &Response) -> bool {
    let is_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    is_text && (response.status().is_client_error() || response.status().is_server_error())
}

/// The JSON document: the contract's members, in the RFC's order, then the optional ones.
struct Document<'a> {
    problem: &'a Problem,
    instance: &'a str,
    trace_id: Option<String>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let standard = [
            field::TYPE,
            field::TITLE,
            field::STATUS,
            field::DETAIL,
            field::INSTANCE,
            field::TRACE_ID,
        ];
        for (name, value) in &self.problem.extensions {
            if !standard.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.serialize_entry(field::TYPE, &self.problem.kind)?;
        map.serialize_entry(field::TITLE, &self.problem.title)?;
        map.serialize_entry(field::STATUS, &self.problem.status.as_u16())?;
        map.serialize_entry(field::DETAIL, &self.problem.detail)?;
        map.serialize_entry(field::INSTANCE, self.instance)?;
        if let Some(trace_id) = &self.trace_id {
            map.serialize_entry(field::TRACE_ID, trace_id)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(number: &str) -> Result<u16, Problem> {
        Ok(number.parse::<u16>()?)
    }

    #[test]
    fn question_mark_turns_an_error_into_the_internal_problem() {
        let internal = Problem::from(contract::INTERNAL);
        assert_eq!(parse("12"), Ok(12));
        assert_eq!(parse("twelve"), Err(internal));
    }

    #[test]
    fn extensions_never_replace_standard_members() {
        let problem = Problem::new(StatusCode::CONFLICT, "Conflict", "taken")
            .with_type("https://example.com/problems/taken")
            .with_extension("order_id", "7")
            .with_extension(field::STATUS, 200);
        let document = Document {
            problem: &problem,
            instance: "/v1/orders/7",
            trace_id: None,
        };
        let json = serde_json::to_value(&document).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "order_id": "7",
                "type": "https://example.com/problems/taken",
                "title": "Conflict",
                "status": 409,
                "detail": "taken",
                "instance": "/v1/orders/7",
            })
        );
    }
}
