"""The tools scaffold and the services it generates need: pinned, provisioned and diagnosed.

A user's machine has the language toolchains and nothing else. The linters scaffold runs itself
are provisioned here on first use (`ensure`, into the tool cache `tools_dir()`), hadolint comes
with scaffold as a Python dependency, and the services pin their own linters (Go: a tools module;
Rust: rust-toolchain.toml). `doctor` reports on all of them.
"""

from generator.tools._doctor import Check, doctor
from generator.tools._install import (
    GO_TOOL_MODULES,
    GoTool,
    ensure,
    go_tools,
    hadolint,
    tools_dir,
)

__all__ = [
    "GO_TOOL_MODULES",
    "Check",
    "GoTool",
    "doctor",
    "ensure",
    "go_tools",
    "hadolint",
    "tools_dir",
]
