"""The production files, checked without Docker (no Docker daemon in CI): docker-compose.yml read
structurally with PyYAML, the Dockerfile with hadolint-style rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PASSWORD_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN")


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def dockerfile() -> list[str]:
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_every_service_has_health_check_log_rotation_and_restart() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "init", "web", "beat", "worker", "media-worker"} <= set(services)
    for name, svc in services.items():
        check = svc.get("healthcheck")
        assert isinstance(check, dict), name
        if name == "init":  # one-shot: no probe, never restarted
            assert check == {"disable": True} and svc["restart"] == "no"
        else:
            assert check.get("test") and check.get("interval"), name
            assert svc["restart"] in ("unless-stopped", "always", "on-failure"), name
        logging = svc.get("logging") or {}
        assert logging.get("driver") == "json-file", name
        assert re.fullmatch(r"\d+[kmg]", str(logging["options"]["max-size"])), name
        assert int(logging["options"]["max-file"]) >= 2, name


def test_workers_answer_a_ping_addressed_to_themselves() -> None:
    services = compose()["services"]
    for name in ("worker", "media-worker"):
        test = " ".join(services[name]["healthcheck"]["test"])
        assert "inspect ping" in test and "celery@$$HOSTNAME" in test and test.startswith("CMD-SHELL")
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "beat-schedule" in " ".join(services["beat"]["healthcheck"]["test"])


def test_no_literal_password_and_secrets_from_files() -> None:
    data = compose()
    declared = data["secrets"]
    assert {"postgres_password", "database_url", "publisher_key"} <= set(declared)
    assert all("file" in spec for spec in declared.values())
    for name, svc in data["services"].items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), name  # mapping form, so the check below sees every name
        for key, value in env.items():
            if any(word in key.upper() for word in PASSWORD_WORDS):
                assert key.upper().endswith("_FILE") and str(value).startswith("/run/secrets/"), (name, key)
            assert not re.search(r"://[^/\s:@]+:[^@\s]+@", str(value)), (name, key)  # user:pass@ in a URL
        for secret in svc.get("secrets") or []:
            assert secret in declared, (name, secret)
    pg = data["services"]["postgres"]
    assert pg["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "POSTGRES_PASSWORD" not in pg["environment"] and "postgres_password" in pg["secrets"]
    for name in ("init", "web", "beat", "worker", "media-worker"):
        svc = data["services"][name]
        assert svc["environment"]["PUBLISHER_SECRET_KEY_FILE"] == "/run/secrets/publisher_key"
        assert svc["environment"]["PUBLISHER_DATABASE_URL_FILE"] == "/run/secrets/database_url"
        assert {"publisher_key", "database_url"} <= set(svc["secrets"])


def test_images_are_pinned() -> None:
    for name, svc in compose()["services"].items():
        image = str(svc.get("image", ""))
        assert ":" in image and not image.endswith(":latest"), (name, image)
        if "build" not in svc:
            assert re.search(r":\d+\.\d+", image), (name, image)  # a version, not a moving major tag


def test_dockerfile_hadolint_style() -> None:
    lines = dockerfile()
    args = {m.group(1): m.group(2) for line in lines if (m := re.match(r"ARG (\w+)=(\S+)", line))}
    froms = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    assert len(froms) >= 2  # multi-stage
    for image in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image
        assert "latest" not in image
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    assert any(line.upper().startswith("HEALTHCHECK ") and "/healthz" in line for line in lines)
    installs = [line for line in lines if "pip install" in line]
    assert installs and all("-c constraints.txt" in line for line in installs)
    assert not any(re.search(r"pip install\b.*(\s-e\s|--editable)", line) for line in installs)
    # hadolint DL3009/DL3015: apt lists removed, no recommended extras
    for line in lines:
        if "apt-get install" in line:
            assert "--no-install-recommends" in line and "rm -rf /var/lib/apt/lists" in line
    runtime = lines[max(i for i, line in enumerate(lines) if line.upper().startswith("FROM ")) :]
    assert any(line.startswith("COPY --from=builder /opt/venv") for line in runtime)
    assert any("useradd" in line and "publisher" in line for line in runtime)
    assert any("chown publisher:publisher /data" in line for line in runtime)
