"""A generated service's local stack (compose.yaml and deploy/local/): loadable, and wired right.

Two validators, each of which can fail on its own:

- compose: scaffold's `composecheck` loads compose.yaml with compose-go, the library `docker
  compose` is built on, the way `docker compose config` does (the Compose specification's JSON
  schema, interpolation, normalization, every config and network a service names declared);
- contract: what the schema cannot know, read from the normalized project. The service is built
  from its own Dockerfile and runs as the image's unprivileged user, read-only; it listens on the
  answers' port and the contract's metrics port and publishes both; it exports spans to the
  stack's collector; the collector receives OTLP/HTTP and exports to Jaeger; Prometheus scrapes
  the service's metrics port at the contract's metrics path; every image is the one tools.yml
  pins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.deploy._runner import fail, load_yaml, read, run, tail, tool
from generator.errors import ArtifactInvalid, UsageError
from generator.template import Template, load_service

COMPOSE_FILE = "compose.yaml"
OTLP_HTTP_PORT = 4318


def check_compose(service: Path, template: Template, tools: Mapping[str, Path]) -> str:
    """Validate compose.yaml and the files it mounts; return a one-line summary.

    Raises ToolchainError when composecheck is not in `tools` (the key "compose", from
    generator.tools.ensure_compose_checker) or cannot run, and ArtifactInvalid with every finding
    when the file fails a validator.
    """
    composecheck = tool(tools, "compose", COMPOSE_FILE)
    read(service, COMPOSE_FILE)
    answers = load_service(service).answers
    result = run([composecheck, COMPOSE_FILE], cwd=service)
    if result.returncode != 0:
        raise ArtifactInvalid(f"{COMPOSE_FILE}: compose: {tail(result.stderr)}")
    try:
        project = json.loads(result.stdout)
    except ValueError:
        raise ArtifactInvalid(f"{COMPOSE_FILE}: compose: composecheck printed no project") from None
    findings = list(_contract(service, project, template, answers))
    fail(COMPOSE_FILE, (f"contract: {finding}" for finding in findings))
    services = sorted(project.get("services") or {})
    return f"{COMPOSE_FILE}: compose and contract ok ({', '.join(services)})"


def _contract(
    service: Path, project: Mapping[str, Any], template: Template, answers: Mapping[str, Any]
) -> Iterator[str]:
    contract = template.contract
    port = int(answers.get("port", _default(template, "PORT")))
    metrics_port = int(_default(template, "METRICS_PORT"))
    services: Mapping[str, Any] = project.get("services") or {}
    built = [name for name, spec in services.items() if (spec or {}).get("build")]
    if len(built) != 1:
        yield f"exactly one service is built from the Dockerfile, found {len(built)}"
        return
    (app,) = built
    spec = services[app]
    yield from _app(app, spec, contract.deploy.run_as_user, port, metrics_port)
    yield from _host_ports(services)
    env: Mapping[str, Any] = spec.get("environment") or {}
    collector = _by_image(services, template.tools.images.otel_collector)
    endpoint = urlsplit(str(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")))
    if collector is None:
        yield f"no service runs {template.tools.images.otel_collector}"
    elif (endpoint.hostname, endpoint.port) != (collector, OTLP_HTTP_PORT):
        yield (
            f"services.{app}.environment.OTEL_EXPORTER_OTLP_ENDPOINT: must be "
            f"http://{collector}:{OTLP_HTTP_PORT}, the collector's OTLP/HTTP receiver"
        )
    jaeger = _by_image(services, template.tools.images.jaeger)
    prometheus = _by_image(services, template.tools.images.prometheus)
    for image, name in (
        (template.tools.images.jaeger, jaeger),
        (template.tools.images.prometheus, prometheus),
    ):
        if name is None:
            yield f"no service runs {image} (the pinned image)"
    if collector is not None:
        yield from _collector(service, project, collector, jaeger)
    if prometheus is not None:
        target = f"{app}:{metrics_port}"
        yield from _prometheus(service, project, prometheus, target, contract.routes.metrics)


def _app(
    app: str, spec: Mapping[str, Any], user: int, port: int, metrics_port: int
) -> Iterator[str]:
    """Check the service itself: its build, user, filesystem, ports and their publishing."""
    build = spec["build"]
    if build.get("context") not in {".", "./"} or build.get("dockerfile", "Dockerfile") != (
        "Dockerfile"
    ):
        yield f"services.{app}.build: must be the service's own Dockerfile (context .)"
    if str(spec.get("user")) != f"{user}:{user}":
        yield f"services.{app}.user: {spec.get('user')!r}, not {user}:{user} (the image's user)"
    if spec.get("read_only") is not True:
        yield f"services.{app}.read_only: must be true, like the pod's root filesystem"
    env: Mapping[str, Any] = spec.get("environment") or {}
    for name, expected in (("PORT", port), ("METRICS_PORT", metrics_port)):
        if str(env.get(name)) != str(expected):
            yield f"services.{app}.environment.{name}: {env.get(name)!r}, not {expected}"
    published = {
        int(p["target"]): str(p.get("published", "")) for p in spec.get("ports") or [] if p
    }
    for name, expected in (("PORT", port), ("METRICS_PORT", metrics_port)):
        if published.get(expected) != str(expected):
            yield f"services.{app}.ports: {name} {expected} is not published on {expected}"


def _host_ports(services: Mapping[str, Any]) -> Iterator[str]:
    """Two services publishing the same host port: `docker compose up` would fail to start."""
    owners: dict[str, list[str]] = {}
    for name, spec in services.items():
        for published in (spec or {}).get("ports") or []:
            if published and published.get("published"):
                key = f"{published.get('host_ip', '')}:{published['published']}"
                owners.setdefault(key, []).append(name)
    for key, names in sorted(owners.items()):
        if len(names) > 1:
            yield f"host port {key.lstrip(':')} is published by {' and '.join(names)}"


def _collector(
    service: Path, project: Mapping[str, Any], collector: str, jaeger: str | None
) -> Iterator[str]:
    config = _mounted(service, project, collector, "/etc/otelcol-contrib/config.yaml")
    if isinstance(config, str):
        yield config
        return
    protocols = _dig(config, "receivers", "otlp", "protocols") or {}
    if "http" not in protocols:
        yield f"{collector}'s configuration: no otlp receiver with the http protocol"
    pipeline = _dig(config, "service", "pipelines", "traces") or {}
    exporters: Mapping[str, Any] = config.get("exporters") or {}
    hosts = {
        urlsplit(str((exporters.get(name) or {}).get("endpoint", ""))).hostname
        for name in pipeline.get("exporters") or []
    }
    if "otlp" not in (pipeline.get("receivers") or []) or jaeger not in hosts:
        yield f"{collector}'s traces pipeline must receive otlp and export to {jaeger}"


def _prometheus(
    service: Path, project: Mapping[str, Any], prometheus: str, target: str, path: str
) -> Iterator[str]:
    config = _mounted(service, project, prometheus, "/etc/prometheus/prometheus.yml")
    if isinstance(config, str):
        yield config
        return
    for job in config.get("scrape_configs") or []:
        statics = job.get("static_configs") or []
        targets = {t for static in statics for t in static.get("targets") or []}
        if target in targets and job.get("metrics_path", "/metrics") == path:
            return
    yield f"{prometheus}'s configuration: no scrape job for {target} at {path}"


def _mounted(
    service: Path, project: Mapping[str, Any], name: str, target: str
) -> dict[str, Any] | str:
    """Return the parsed file a service gets at target through `configs:`, or what is wrong."""
    spec = project["services"][name]
    sources = [c["source"] for c in spec.get("configs") or [] if c.get("target") == target]
    if not sources:
        return f"services.{name}: no config mounted at {target}"
    file = str(((project.get("configs") or {}).get(sources[0]) or {}).get("file", ""))
    if not file:
        return f"configs.{sources[0]}: not a file in the service"
    try:
        text = read(service, file.removeprefix("./"))
    except UsageError:
        return f"configs.{sources[0]}: {file} is outside the service"
    except ArtifactInvalid as error:
        return error.message
    data = load_yaml(text, file)
    return data if isinstance(data, dict) else f"{file}: not a mapping"


def _by_image(services: Mapping[str, Any], image: str) -> str | None:
    found = [name for name, spec in services.items() if (spec or {}).get("image") == image]
    return found[0] if found else None


def _default(template: Template, name: str) -> Any:
    return next(var.default for var in template.contract.env if var.name == name)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
