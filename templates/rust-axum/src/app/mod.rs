//! The service team's own code. Yours: `scaffold check` does not compare it with the template,
//! `scaffold update` keeps your edits here (a template change to the example is merged, not
//! imposed), and the platform only calls [`routes`].

mod hello;

use axum::Router;
use axum::routing::get;

use crate::platform::contract::routes;
use crate::platform::http::AppState;

/// The service's own routes: add new endpoints here. The platform serves them next to its
/// health and metrics endpoints, behind every platform layer (traces, metrics, access log,
/// problem documents, panic recovery, body limit, timeouts). `hello` is a complete example;
/// route templates belong in the contract when other services depend on them.
pub fn routes() -> Router<AppState> {
    Router::new().route(routes::HELLO, get(hello::hello))
}
