from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import UsageError
from generator.naming import validate_service_name
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
