"""The docs and deploy files stay true to the code: every setting documented, probes real."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.main import create_app
from app.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _variables() -> set[str]:
    return {
        (field.alias or ENV_PREFIX + name.upper()) for name, field in Settings.model_fields.items()
    }


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(BRAINHOST_[A-Z0-9_]+)`", readme))
    assert _variables() <= documented
    assert documented <= _variables()


def test_readme_quick_start_is_two_commands_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["scripts/run", "scripts/test"]
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111


def test_ci_runs_the_readme_test_command() -> None:
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_procfile_starts_the_service() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: brainhost serve"


def test_kubernetes_probes_point_at_real_routes_on_the_default_port() -> None:
    docs = list(yaml.safe_load_all((ROOT / "deploy/k8s/brainhost.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    paths = {route.path for route in create_app(load_settings({})).routes}  # type: ignore[attr-defined]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/ready"
    assert container["livenessProbe"]["httpGet"]["path"] in paths
    assert container["readinessProbe"]["httpGet"]["path"] in paths
    assert container["ports"][0]["containerPort"] == Settings.model_fields["port"].default
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    service = next(d for d in docs if d["kind"] == "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_dockerfile_copies_every_package_and_runs_as_non_root() -> None:
    text = (ROOT / "deploy/Dockerfile").read_text()
    for package in ("app", "actors", "brains", "tenancy"):
        assert f"COPY {package} ./{package}" in text
    assert "USER brainhost" in text
    assert "HEALTHCHECK" in text and "/v1/health" in text
    assert text.count("FROM ") >= 2


def test_systemd_unit_runs_serve_as_a_dedicated_user() -> None:
    text = (ROOT / "deploy/systemd/brainhost.service").read_text()
    assert "ExecStart=/opt/brainhost/bin/brainhost serve" in text
    assert "User=brainhost" in text
