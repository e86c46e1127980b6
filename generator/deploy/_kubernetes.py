"""A generated service's Kubernetes manifests (deploy/): held to the API, policy and the contract.

Every check reads what `kubectl apply -k` would send: `kustomize build` of each overlay, and of
the prod overlay with the optional ServiceMonitor component. Then three validators, each of which
can fail on its own:

- schema: every object against the Kubernetes API schemas of the version tools.yml pins
  (kubernetes-validate's bundled ones, strict: an unknown field is an error); a kind without a
  schema is an error too, except the CRD kinds below, which the contract checks cover;
- policy: kube-score, with the tests the manifests deliberately do not meet switched off by name
  (KUBE_SCORE_IGNORES; the service README gives the same reasons);
- contract: what neither tool knows, i.e. that the manifests run the service the way the contract
  says (ports, probe paths, shutdown timing, the pod's user, the collector, labels).

Every finding of every validator is reported at once, as `validator: where: what`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.deploy._runner import run, tail, tool
from generator.errors import ArtifactInvalid, ToolchainError
from generator.template import Template, load_service

DEPLOY_DIR = "deploy"
OVERLAYS = ("dev", "prod")
SERVICEMONITOR = "servicemonitor"
# The build that proves the optional component composes with an overlay.
_WITH_SERVICEMONITOR = f"prod+{SERVICEMONITOR}"

# kube-score tests the manifests do not meet on purpose, and why (the README says the same).
KUBE_SCORE_IGNORES = {
    "container-image-pull-policy": (
        "the overlays pin an explicit tag per release, and IfNotPresent lets a dev cluster run "
        "an image loaded into it (kind load) instead of pulling on every pod start"
    ),
    "container-ephemeral-storage-request-and-limit": (
        "the root filesystem is read-only and no volume is mounted: the service writes nothing, "
        "so the only ephemeral storage is the container log the kubelet rotates"
    ),
}
# No CPU limit, by the contract (deploy.resources): a limit throttles a latency-sensitive
# service even when the node has CPU to spare. kube-score has a flag of its own for it.
KUBE_SCORE_FLAGS = ("--ignore-container-cpu-limit",)
KUBE_SCORE_OPTIONAL = ("container-seccomp-profile", "container-ports-check")
# Custom resources the schema bundle cannot know; the contract checks cover each of them.
CRD_KINDS = frozenset({("monitoring.coreos.com/v1", "ServiceMonitor")})
_MAX_FINDINGS = 12

Objects = list[dict[str, Any]]


def check_kubernetes(service: Path, template: Template, tools: Mapping[str, Path]) -> str:
    """Build deploy/ with kustomize, then check it against schemas, kube-score and the contract.

    tools maps a tool's name to its binary (kustomize, kube-score); a missing one is a
    ToolchainError, never a skipped check. Returns a one-line summary, or raises ArtifactInvalid
    with every finding.
    """
    what = "the Kubernetes manifests"
    kustomize, kube_score = tool(tools, "kustomize", what), tool(tools, "kube-score", what)
    validate = _schema_validator(template.tools.kubernetes)
    info = load_service(service)
    deploy = service / DEPLOY_DIR
    if not deploy.is_dir():
        raise ArtifactInvalid(f"{service.name} has no {DEPLOY_DIR}/ directory")
    expected = _Expected.of(template, info.name, info.answers.get("port"))
    builds = _builds(kustomize, deploy)

    # (validator, problem) -> the builds that have it: a base file's fault shows once.
    found: dict[tuple[str, str], list[str]] = {}
    schema_valid = set()
    for label, objects in builds.items():
        problems = validate(objects)
        for problem in problems:
            found.setdefault(("schema", problem), []).append(label)
        if not problems:
            schema_valid.add(label)
    # kube-score cannot read objects the API would refuse; the schema findings say why.
    for overlay in (overlay for overlay in OVERLAYS if overlay in schema_valid):
        for problem in _policy(kube_score, builds[overlay], template, overlay):
            found.setdefault(("kube-score", problem), []).append(overlay)
    for label, objects in builds.items():
        for problem in _contract(objects, expected):
            found.setdefault(("contract", problem), []).append(label)
    findings = [
        f"{validator}: {', '.join(labels)}: {problem}"
        for (validator, problem), labels in found.items()
    ]
    if findings:
        shown = findings[:_MAX_FINDINGS]
        more = len(findings) - len(shown)
        raise ArtifactInvalid(
            f"{DEPLOY_DIR}/ fails {len(findings)} check(s):\n"
            + "\n".join(shown)
            + (f"\n… and {more} more" if more else ""),
            hint="fix the manifests (or the template that renders them)",
        )
    return (
        f"{DEPLOY_DIR}/ ({', '.join(builds)}): Kubernetes {template.tools.kubernetes} schemas "
        f"(strict), kube-score and contract checks clean"
    )


# -- kustomize ------------------------------------------------------------------------------


# The kustomization fields that name other files or directories to load.
_REFERENCES = ("resources", "bases", "components", "crds", "configurations")
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _refuse_outside(deploy: Path) -> None:
    """Every file a kustomization loads must lie in deploy/: no remote base, nothing outside.

    kustomize fetches a URL or git repository named in `resources` by itself; the manifests are
    untrusted input, so scaffold refuses them before kustomize runs (a team that wants a remote
    base builds it with kustomize directly).
    """
    root = deploy.resolve()
    for kustomization in sorted(p for p in deploy.rglob("*") if p.name in _KUSTOMIZATION_FILES):
        where = kustomization.relative_to(deploy.parent).as_posix()
        try:
            data = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ArtifactInvalid(f"{where}: cannot be read: {_first_line(str(error))}") from None
        if not isinstance(data, dict):
            continue
        if "helmCharts" in data:
            raise ArtifactInvalid(f"{where}: helmCharts would make kustomize run helm")
        entries = [e for key in _REFERENCES for e in (data.get(key) or []) if isinstance(e, str)]
        for entry in entries:
            target = (kustomization.parent / entry).resolve()
            if not target.exists() or not target.is_relative_to(root):
                raise ArtifactInvalid(
                    f"{where}: {entry!r} is not a file or directory inside {DEPLOY_DIR}/",
                    hint="scaffold builds only local manifests (no remote bases, nothing outside)",
                )


def _builds(kustomize: Path, deploy: Path) -> dict[str, Objects]:
    """`kustomize build` of each overlay, and of prod with the ServiceMonitor component.

    The component's build happens in a copy of deploy/, so the service is never written to.
    """
    _refuse_outside(deploy)
    builds = {overlay: _build(kustomize, deploy, f"overlays/{overlay}") for overlay in OVERLAYS}
    with tempfile.TemporaryDirectory(prefix="scaffold-deploy-") as scratch:
        copy = Path(scratch) / DEPLOY_DIR
        shutil.copytree(deploy, copy, symlinks=True)
        combined = copy / "scaffold-servicemonitor"
        combined.mkdir()
        (combined / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            "kind: Kustomization\n"
            "resources: [../overlays/prod]\n"
            f"components: [../components/{SERVICEMONITOR}]\n",
            encoding="utf-8",
        )
        builds[_WITH_SERVICEMONITOR] = _build(kustomize, copy, combined.name)
    return builds


def _build(kustomize: Path, deploy: Path, target: str) -> Objects:
    where = f"{DEPLOY_DIR}/{target}"
    result = run([kustomize, "build", target], deploy)
    if result.returncode != 0:
        raise ArtifactInvalid(
            f"kustomize build {where} failed: {tail(result.stderr or result.stdout, 3)}",
            hint="fix the kustomization (kustomize build shows the whole error)",
        )
    try:
        documents = list(yaml.safe_load_all(result.stdout))
    except yaml.YAMLError as error:
        raise ArtifactInvalid(f"kustomize build {where} printed invalid YAML: {error}") from None
    objects = [doc for doc in documents if doc is not None]
    if not all(isinstance(obj, dict) for obj in objects):
        raise ArtifactInvalid(f"kustomize build {where} printed a document that is not an object")
    return objects


# -- schema ---------------------------------------------------------------------------------


def _schema_validator(version: str) -> Callable[[Objects], list[str]]:
    """kubernetes-validate for one Kubernetes version, strict; fails closed when it is absent."""
    try:
        import kubernetes_validate
        from kubernetes_validate.utils import all_versions
    except ImportError:
        raise ToolchainError(
            "kubernetes-validate is not installed (scaffold depends on it for the Kubernetes "
            "schemas)",
            hint="reinstall scaffold, or pip install kubernetes-validate",
        ) from None
    bundled = {".".join(v.split(".")[:2]) for v in all_versions()}
    if version not in bundled:
        raise ToolchainError(
            f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for "
            f"Kubernetes {version} (it has {', '.join(sorted(bundled, key=_minor))})",
            hint="pin a version it bundles in shared/tools.yml, or upgrade kubernetes-validate",
        )

    def validate(objects: Objects) -> list[str]:
        problems = []
        for obj in objects:
            if (obj.get("apiVersion"), obj.get("kind")) in CRD_KINDS:
                continue  # a custom resource: no schema ships with Kubernetes
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                field = ".".join(str(part) for part in error.path) or "(object)"
                problems.append(f"{_name(obj)} {field}: {_first_line(error.message)}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{_name(obj)}: {error.message}")
            except (KeyError, TypeError):
                problems.append(f"{_name(obj)}: no apiVersion or kind")
        return problems

    return validate


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


# -- policy ---------------------------------------------------------------------------------


def kube_score_command(kube_score: Path, template: Template, overlay: str) -> list[str]:
    """kube-score's command line for one overlay's build (read from stdin)."""
    command = [
        *(str(kube_score), "score", "--output-format", "ci", "--exit-one-on-warning"),
        *("--color", "never", "--kubernetes-version", f"v{template.tools.kubernetes}"),
        *KUBE_SCORE_FLAGS,
    ]
    for test in sorted(KUBE_SCORE_IGNORES):
        command += ["--ignore-test", test]
    for test in KUBE_SCORE_OPTIONAL:
        command += ["--enable-optional-test", test]
    if overlay == "dev":
        # dev runs the contract's replica count (one pod, no autoscaler); prod keeps the default.
        command += ["--min-replicas-deployment", str(template.contract.deploy.dev_replicas)]
    return [*command, "-"]


def _policy(kube_score: Path, objects: Objects, template: Template, overlay: str) -> list[str]:
    command = kube_score_command(kube_score, template, overlay)
    stream = yaml.safe_dump_all(objects, sort_keys=False)
    result = run(command, Path.cwd(), stdin=stream)
    findings = [
        line.strip()
        for line in result.stdout.splitlines()
        if line.startswith(("[CRITICAL]", "[WARNING]"))
    ]
    if result.returncode != 0 and not findings:
        raise ToolchainError(
            f"kube-score exited {result.returncode}: {tail(result.stderr or result.stdout, 3)}"
        )
    return findings


# -- contract -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expected:
    """What the contract (and the service's answers) say the manifests must hold."""

    name: str
    name_label: str
    port: int
    metrics_port: int
    liveness: str
    readiness: str
    metrics_path: str
    env: Mapping[str, str]
    budget_ms: int
    grace_s: int
    run_as_user: int
    dev_replicas: int
    min_replicas: int
    max_replicas: int

    @classmethod
    def of(cls, template: Template, name: str, port: object) -> _Expected:
        contract = template.contract
        deploy = contract.deploy
        defaults = {var.name: var.default for var in contract.env}
        public = int(port) if isinstance(port, int | str) and str(port).isdigit() else None
        public = public or int(defaults["PORT"])
        metrics = int(defaults["METRICS_PORT"])
        return cls(
            name=name,
            name_label=deploy.name_label,
            port=public,
            metrics_port=metrics,
            liveness=contract.routes.liveness,
            readiness=contract.routes.readiness,
            metrics_path=contract.routes.metrics,
            env={
                "PORT": str(public),
                "METRICS_PORT": str(metrics),
                "SHUTDOWN_TIMEOUT_MS": str(deploy.shutdown_timeout_ms),
                "SHUTDOWN_DRAIN_DELAY_MS": str(deploy.shutdown_drain_delay_ms),
                "OTEL_EXPORTER_OTLP_ENDPOINT": deploy.otlp_endpoint,
            },
            budget_ms=deploy.shutdown_drain_delay_ms + deploy.shutdown_timeout_ms,
            grace_s=deploy.termination_grace_period_s,
            run_as_user=deploy.run_as_user,
            dev_replicas=deploy.dev_replicas,
            min_replicas=deploy.autoscaling.min_replicas,
            max_replicas=deploy.autoscaling.max_replicas,
        )


def _contract(objects: Objects, expected: _Expected) -> Iterator[str]:
    """Every way the built objects differ from what the contract says."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(str(obj.get("kind")), []).append(obj)
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"):
        if len(by_kind.get(kind, [])) != 1:
            yield f"expected one {kind}, found {len(by_kind.get(kind, []))}"
    if any(len(by_kind.get(kind, [])) != 1 for kind in ("Deployment", "Service")):
        return
    (deployment,), (service,) = by_kind["Deployment"], by_kind["Service"]
    pod_labels = _dig(deployment, "spec", "template", "metadata", "labels") or {}
    if pod_labels.get(expected.name_label) != expected.name:
        yield (
            f"{_name(deployment)} spec.template.metadata.labels: needs "
            f"{expected.name_label}: {expected.name}"
        )
    yield from _deployment(deployment, pod_labels, expected)
    yield from _service(service, pod_labels, expected)
    for kind, path in (
        ("PodDisruptionBudget", ("spec", "selector", "matchLabels")),
        ("NetworkPolicy", ("spec", "podSelector", "matchLabels")),
    ):
        for obj in by_kind.get(kind, []):
            yield from _selects(obj, path, pod_labels)
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    for hpa in hpas:
        yield from _autoscaler(hpa, deployment, expected)
    if not hpas:
        replicas = _dig(deployment, "spec", "replicas")
        if replicas != expected.dev_replicas:
            yield (
                f"{_name(deployment)} spec.replicas: {replicas}, but without an autoscaler the "
                f"contract's dev count is {expected.dev_replicas}"
            )
    for monitor in by_kind.get("ServiceMonitor", []):
        yield from _service_monitor(monitor, service, expected)


def _deployment(
    deployment: dict[str, Any], pod_labels: Mapping[str, Any], expected: _Expected
) -> Iterator[str]:
    where = _name(deployment)
    yield from _selects(deployment, ("spec", "selector", "matchLabels"), pod_labels)
    pod = _dig(deployment, "spec", "template", "spec") or {}
    grace = pod.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < expected.grace_s:
        yield (
            f"{where} terminationGracePeriodSeconds: {grace}, but the shutdown budget is "
            f"{expected.budget_ms} ms (drain delay + shutdown timeout), so it must be at least "
            f"{expected.grace_s} s (rounded up, plus the contract's margin)"
        )
    if pod.get("automountServiceAccountToken") is not False:
        yield f"{where} automountServiceAccountToken: must be false"
    containers = pod.get("containers") or []
    if len(containers) != 1:
        yield f"{where} containers: expected the service's one container, found {len(containers)}"
        return
    (container,) = containers
    security = {**(pod.get("securityContext") or {}), **(container.get("securityContext") or {})}
    yield from _security(where, security, expected)
    yield from _container(where, container, expected)


def _security(where: str, security: Mapping[str, Any], expected: _Expected) -> Iterator[str]:
    """Check the effective securityContext: the container's own fields over the pod's."""
    for field, want in (
        ("runAsNonRoot", True),
        ("runAsUser", expected.run_as_user),
        ("allowPrivilegeEscalation", False),
        ("readOnlyRootFilesystem", True),
    ):
        if security.get(field) != want:
            yield f"{where} securityContext.{field}: {security.get(field)}, must be {want}"
    if security.get("privileged"):
        yield f"{where} securityContext.privileged: must not be true"
    if "ALL" not in (_dig(security, "capabilities", "drop") or []):
        yield f"{where} securityContext.capabilities.drop: must contain ALL"
    if _dig(security, "seccompProfile", "type") != "RuntimeDefault":
        yield f"{where} securityContext.seccompProfile.type: must be RuntimeDefault"


def _container(where: str, container: Mapping[str, Any], expected: _Expected) -> Iterator[str]:
    """Check ports, environment and probes against the contract."""
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    for name, number in (("http", expected.port), ("metrics", expected.metrics_port)):
        if ports.get(name) != number:
            yield f"{where} ports: {name} is {ports.get(name)}, the contract's is {number}"
    env = {var.get("name"): var.get("value") for var in container.get("env") or []}
    for name, value in expected.env.items():
        if env.get(name) != value:
            yield f"{where} env {name}: {env.get(name)!r}, the contract's is {value!r}"
    probes = (("livenessProbe", expected.liveness), ("readinessProbe", expected.readiness))
    for probe, path in probes:
        http_get = _dig(container, probe, "httpGet") or {}
        if http_get.get("path") != path:
            yield f"{where} {probe}.httpGet.path: {http_get.get('path')}, the contract's is {path}"
        if http_get.get("port") not in ("http", expected.port):
            yield (
                f"{where} {probe}.httpGet.port: {http_get.get('port')}, the health routes are "
                f"served on http ({expected.port})"
            )


def _service(
    service: dict[str, Any], pod_labels: Mapping[str, Any], expected: _Expected
) -> Iterator[str]:
    where = _name(service)
    yield from _selects(service, ("spec", "selector"), pod_labels)
    ports = {p.get("name"): p for p in _dig(service, "spec", "ports") or []}
    for name, number in (("http", expected.port), ("metrics", expected.metrics_port)):
        port = ports.get(name)
        if port is None:
            yield f"{where} ports: no port named {name}"
        elif port.get("targetPort") not in (name, number):
            yield f"{where} ports.{name}.targetPort: {port.get('targetPort')}, must be {name}"


def _autoscaler(
    hpa: dict[str, Any], deployment: dict[str, Any], expected: _Expected
) -> Iterator[str]:
    where = _name(hpa)
    target = _dig(hpa, "spec", "scaleTargetRef") or {}
    deployment_name = _dig(deployment, "metadata", "name")
    if (target.get("kind"), target.get("name")) != ("Deployment", deployment_name):
        yield f"{where} scaleTargetRef: must name the Deployment"
    bounds = (("minReplicas", expected.min_replicas), ("maxReplicas", expected.max_replicas))
    for field, want in bounds:
        if _dig(hpa, "spec", field) != want:
            yield f"{where} spec.{field}: {_dig(hpa, 'spec', field)}, the contract's is {want}"
    if _dig(deployment, "spec", "replicas") is not None:
        yield f"{_name(deployment)} spec.replicas: set, but the autoscaler owns the count"


def _service_monitor(
    monitor: dict[str, Any], service: dict[str, Any], expected: _Expected
) -> Iterator[str]:
    where = _name(monitor)
    selector = _dig(monitor, "spec", "selector", "matchLabels") or {}
    labels = _dig(service, "metadata", "labels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        yield f"{where} spec.selector.matchLabels: {selector} does not select the Service's labels"
    endpoints = _dig(monitor, "spec", "endpoints") or []
    if not endpoints:
        yield f"{where} spec.endpoints: empty"
    for index, endpoint in enumerate(endpoints):
        if endpoint.get("port") != "metrics":
            yield f"{where} spec.endpoints.{index}.port: {endpoint.get('port')}, must be metrics"
        if endpoint.get("path") != expected.metrics_path:
            yield (
                f"{where} spec.endpoints.{index}.path: {endpoint.get('path')}, the contract's is "
                f"{expected.metrics_path}"
            )


def _selects(
    obj: Mapping[str, Any], path: Sequence[str], pod_labels: Mapping[str, Any]
) -> Iterator[str]:
    selector = _dig(obj, *path) or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        yield f"{_name(obj)} {'.'.join(path)}: {selector} does not select the pod's labels"


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _name(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind')}/{_dig(obj, 'metadata', 'name')}"
