//! Which build is running: the version that `--version`, the `service.version` resource
//! attribute and the `build_info` metric all report, from one place so that they agree.

use crate::platform::contract::operability::{UNKNOWN_REVISION, VERSION_LINE};

/// `Cargo.toml`'s version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from: `VCS_REVISION` at build time (the Makefile and the
/// Dockerfile pass it; rustc rebuilds when it changes), else the contract's unknown revision.
pub const REVISION: &str = match option_env!("VCS_REVISION") {
    // An empty value is what a Docker build without the build argument passes.
    Some(revision) if !revision.is_empty() => revision,
    _ => UNKNOWN_REVISION,
};

/// The line `--version` prints for the service `name`.
#[must_use]
pub fn line(name: &str) -> String {
    VERSION_LINE
        .replace("{name}", name)
        .replace("{version}", VERSION)
        .replace("{revision}", REVISION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_service_version_and_revision() {
        assert_eq!(line("checkout"), format!("checkout {VERSION} {REVISION}"));
        assert!(!REVISION.is_empty());
    }
}
