"""compose.yaml and deploy/local/: the local stack every service gets, and its validators.

A fresh render passes compose-go's loader (the library `docker compose` is built on, with the
Compose specification's schema) and the contract checks; each mutation breaks the stack one way
and proves the validator meant to catch it fails, naming what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from generator.deploy import check_compose
from generator.errors import ToolchainError
from tests.deploy.validators import TEMPLATE, failure, service, validators
from tests.helpers import replace_in

__all__ = ["service", "validators"]  # fixtures


def test_a_fresh_service_passes(service: Path, validators: dict[str, Path]) -> None:
    summary = check_compose(service, TEMPLATE, validators)
    assert summary.startswith("compose.yaml: compose and contract ok")
    images = yaml.safe_load((service / "compose.yaml").read_text())["services"]
    pinned = TEMPLATE.tools.images
    assert {s.get("image") for s in images.values()} >= {
        pinned.otel_collector,
        pinned.jaeger,
        pinned.prometheus,
    }


def test_composecheck_prints_the_normalized_project(
    service: Path, validators: dict[str, Path]
) -> None:
    import subprocess

    result = subprocess.run(
        [validators["compose"], "compose.yaml"],
        cwd=service,
        capture_output=True,
        text=True,
        check=True,
    )
    project = json.loads(result.stdout)
    assert project["name"] == "payments"
    assert project["services"]["app"]["build"]["dockerfile"] == "Dockerfile"


def test_an_unknown_top_level_key_fails_the_compose_schema(
    service: Path, validators: dict[str, Path]
) -> None:
    with (service / "compose.yaml").open("a") as compose:
        compose.write("servces:\n  extra:\n    image: busybox\n")
    message = failure(check_compose, service, validators)
    assert message.startswith("compose.yaml: compose: ")
    assert "servces" in message


def test_a_port_that_is_not_a_port_fails_the_compose_schema(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "compose.yaml", '- "127.0.0.1:8080:8080"', '- "127.0.0.1:8080:http"')
    message = failure(check_compose, service, validators)
    assert message.startswith("compose.yaml: compose: ")
    assert "http" in message


def test_a_service_published_on_another_port_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "compose.yaml", '- "127.0.0.1:8080:8080"', '- "127.0.0.1:8081:8081"')
    message = failure(check_compose, service, validators)
    assert "contract: services.app.ports: PORT 8080 is not published on 8080" in message


def test_prometheus_scraping_the_wrong_port_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "deploy/local/prometheus.yml", '"app:9464"', '"app:8080"')
    message = failure(check_compose, service, validators)
    assert "contract: prometheus's configuration: no scrape job for app:9464 at /metrics" in message


def test_a_service_exporting_elsewhere_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "compose.yaml", "http://otel-collector:4318", "http://jaeger:4318")
    message = failure(check_compose, service, validators)
    assert "OTEL_EXPORTER_OTLP_ENDPOINT: must be http://otel-collector:4318" in message


def test_a_missing_validator_is_a_toolchain_error(service: Path) -> None:
    with pytest.raises(ToolchainError, match="compose was not provisioned") as raised:
        check_compose(service, TEMPLATE, {})
    assert raised.value.exit_code == 4


def test_a_missing_compose_file_is_reported(service: Path, validators: dict[str, Path]) -> None:
    (service / "compose.yaml").unlink()
    assert failure(check_compose, service, validators) == "compose.yaml: missing"


def test_a_missing_mounted_config_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    (service / "deploy/local/otel-collector.yaml").write_text("receivers: {}\n")
    replace_in(service / "compose.yaml", "jaeger:\n    image:", "viewer:\n    image:")
    replace_in(service / "compose.yaml", "      - jaeger\n", "      - viewer\n")
    message = failure(check_compose, service, validators)
    assert "no otlp receiver with the http protocol" in message
    assert "traces pipeline must receive otlp and export to viewer" in message


def test_the_service_running_as_root_and_writable_fails_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "compose.yaml", "    read_only: true\n", "")
    replace_in(service / "compose.yaml", '    user: "65532:65532"\n', "")
    message = failure(check_compose, service, validators)
    assert "services.app.user: None, not 65532:65532" in message
    assert "services.app.read_only: must be true" in message


@pytest.mark.parametrize("port", [9090, 4318, 16686])
def test_a_service_on_a_port_the_stack_uses_moves_the_tool_not_the_service(
    tmp_path: Path, validators: dict[str, Path], port: int
) -> None:
    from generator.new import NewOptions, new_service

    options = NewOptions(
        name="payments",
        language="go",
        directory=tmp_path / "payments",
        defaults=True,
        git=False,
        data=[f"port={port}"],
    )
    service = new_service(options, progress=lambda _: None, show=lambda _: None).path
    assert check_compose(service, TEMPLATE, validators).startswith("compose.yaml: compose and")
    published = [
        line.strip()
        for line in (service / "compose.yaml").read_text().splitlines()
        if line.strip().startswith('- "127.0.0.1:')
    ]
    assert f'- "127.0.0.1:{port}:{port}"' in published
    assert f'- "127.0.0.1:{port + 1}:{port}"' in published  # the tool, one port up
    readme = (service / "README.md").read_text()
    assert f"localhost:{port + 1}" in readme


def test_two_services_on_one_host_port_fail_the_contract(
    service: Path, validators: dict[str, Path]
) -> None:
    replace_in(service / "compose.yaml", '- "127.0.0.1:16686:16686"', '- "127.0.0.1:8080:16686"')
    message = failure(check_compose, service, validators)
    assert "contract: host port 127.0.0.1:8080 is published by app and jaeger" in message
