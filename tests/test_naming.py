from __future__ import annotations

import pytest

from generator.errors import UsageError
from generator.naming import validate_service_name
from generator.template import Template, bundled_template_dir

RULES = Template.load(bundled_template_dir()).naming


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
