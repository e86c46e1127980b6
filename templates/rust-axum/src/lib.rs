//! The service as a library: `main.rs` wires it into a process, and the tests in `tests/` drive
//! the same router and server without a process.

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
