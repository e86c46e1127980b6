from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import UsageError
from generator.new import RUST_KEYWORDS, go_module_problem, validate_service_name
from generator.template import Template, bundled_template_dir

TEMPLATE = Template.load(bundled_template_dir())
RULES = TEMPLATE.naming


@pytest.mark.parametrize("name", ["payments", "a", "payments-api", "svc2", "a1-b2-c3", "x" * 40])
def test_accepts_valid_names(name: str) -> None:
    assert validate_service_name(name, RULES) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("Payments", "invalid"),
        ("1svc", "invalid"),
        ("my_svc", "invalid"),
        ("-svc", "invalid"),
        ("svc-", "invalid"),
        ("my--svc", "invalid"),
        ("../evil", "invalid"),
        ("a b", "invalid"),
        ("x" * 41, "limit is 40"),
        ("main", "reserved"),
        ("std", "reserved"),
        ("test", "reserved"),
        ("core", "reserved"),
        ("axum", "reserved"),
    ],
)
def test_rejects_invalid_names(name: str, why: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_service_name(name, RULES)
    assert why in caught.value.message
    assert caught.value.exit_code == 2
    assert caught.value.hint
    assert "\n" not in caught.value.one_line()


@pytest.mark.parametrize("name", ["mio", "libc", "humantime", "tokio-macros", "http-body"])
def test_rejects_names_of_rust_dependencies(name: str) -> None:
    assert (
        name in TEMPLATE.rust_dependencies or name.replace("-", "_") in TEMPLATE.rust_dependencies
    )
    with pytest.raises(UsageError, match="Rust dependency"):
        validate_service_name(name, RULES, TEMPLATE.rust_dependencies)


def test_copier_validator_rejects_dependency_names_too(tmp_path: Path) -> None:
    import copier

    with pytest.raises(ValueError, match="Rust dependency"):
        copier.run_copy(
            str(bundled_template_dir()),
            tmp_path / "out",
            data={"service_name": "mio"},
            defaults=True,
            quiet=True,
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", sorted(RUST_KEYWORDS - {"Self"}))
def test_rejects_rust_keywords(name: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_service_name(name, RULES)
    assert "Rust keyword" in caught.value.message or "reserved" in caught.value.message


@pytest.mark.parametrize("name", ["union", "raw", "safe", "matches", "my-match", "loop-svc"])
def test_weak_keywords_and_keyword_prefixes_are_fine(name: str) -> None:
    assert validate_service_name(name, RULES) == name


@pytest.mark.parametrize("name", ["con", "nul", "aux", "prn", "com1", "lpt9"])
def test_rejects_names_windows_reserves(name: str) -> None:
    with pytest.raises(UsageError, match="Windows"):
        validate_service_name(name, RULES)


@pytest.mark.parametrize("name", ["payments\n", "payments\r\n", "pay\nments"])
def test_rejects_trailing_and_embedded_newlines(name: str) -> None:
    with pytest.raises(UsageError):
        validate_service_name(name, RULES)


# Cases from the go tool's documented rules (golang.org/x/mod/module.CheckPath).
@pytest.mark.parametrize(
    "path",
    [
        "example.com",
        "example.com/team/payments",
        "github.com/Acme/Payments",
        "example.com/a~b_c-d.e/x",
        "example.com/x~y",
        "example.com/a..b",
        "example.com/team/payments/v2",
        "example.com/team/v10",
        "gopkg.in/yaml.v3",
        "gopkg.in/check.v0",
        "my-host.example/svc",
    ],
)
def test_go_module_paths_the_go_tool_accepts(path: str) -> None:
    assert go_module_problem(path) == ""


@pytest.mark.parametrize(
    "path",
    [
        "",
        "example.com/a/b\n",
        "example.com/a/..",
        "example.com/../a",
        "example.com//a",
        "example.com/a/",
        "/example.com/a",
        "example.com/.hidden",
        "example.com/trailing.",
        "example.com/con/x",
        "example.com/NUL.txt/x",
        "example.com/com1",
        "example.com/a b",
        "example.com/a#b",
        "example.com/a+b",
        "example.com/progra~1",
        "example.com/a~12.txt",
        "example.com/ä",
        "nodot/a",
        "Example.com/a",
        "-example.com/a",
        "exa_mple.com/a",
        "example.com/a/v1",
        "example.com/a/v0",
        "example.com/a/v01",
        "example.com/a/v2.1",
        "gopkg.in/yaml",
        "gopkg.in/yaml.v01",
    ],
)
def test_go_module_paths_the_go_tool_rejects(path: str) -> None:
    assert go_module_problem(path) != ""
