//! The platform: configuration, the HTTP surface and its middleware, the server, telemetry and
//! the contract every service shares.
//!
//! Owned by the template: `scaffold update` brings its changes and `scaffold check` flags edits
//! to any file under `src/platform/`. Your code lives in `crate::app`, which the platform's
//! router serves with every platform layer applied.

pub mod config;
#[allow(
    clippy::doc_markdown,
    reason = "rendered from the platform contract, whose help texts may name variables bare"
)]
// Rendered: its layout follows the contract's lists, whatever their length.
#[rustfmt::skip]
pub mod contract;
pub mod healthcheck;
pub mod http;
pub mod problem;
pub mod server;
pub mod telemetry;
pub mod version;
