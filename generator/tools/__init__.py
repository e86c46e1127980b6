"""The tools scaffold and the services it generates need: pinned, provisioned and diagnosed.

A user's machine has the language toolchains and nothing else. The linters scaffold runs itself
are provisioned here on first use (`ensure`, into the tool cache `tools_dir()`), and so are the
validators of the deploy artifacts (`ensure_deploy_validators`: composecheck, Renovate's and
Backstage's npm packages); hadolint comes with scaffold as a Python dependency, and the services
pin their own linters (Go: a tools module; Rust: rust-toolchain.toml). `doctor` reports on all of
them.
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
from generator.tools._validators import (
    NODE_PACKAGES,
    NodeTool,
    ensure_catalog_model,
    ensure_compose_checker,
    ensure_deploy_validators,
    ensure_node_tool,
    ensure_renovate,
    node,
    node_tools,
)

__all__ = [
    "GO_TOOL_MODULES",
    "NODE_PACKAGES",
    "Check",
    "GoTool",
    "NodeTool",
    "doctor",
    "ensure",
    "ensure_catalog_model",
    "ensure_compose_checker",
    "ensure_deploy_validators",
    "ensure_node_tool",
    "ensure_renovate",
    "go_tools",
    "hadolint",
    "node",
    "node_tools",
    "tools_dir",
]
