//! The service as a library: `main.rs` wires it into a process, and the tests in `tests/` drive
//! the same router and server without a process.
//!
//! Yours: add your modules here, next to `app`. `platform` is the template's (`scaffold update`
//! brings its changes, `scaffold check` flags edits to it).

pub mod app;
pub mod platform;
