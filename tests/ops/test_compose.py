"""The deployment files agree with each other and with the code: docker-compose.yml, Dockerfile,
.dockerignore and .env.example.

No Docker engine runs here, so this is the CI check of the compose file: its structure
(healthcheck, one-shot migration, depends_on conditions, the shared data volume, one published
port), every command of the image resolved against the installed entry points, every setting
the application reads documented in .env.example, and the placeholders refused in production.
Where the `docker compose` plugin exists, `docker compose config -q` runs too.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.cli import build_parser
from dsnlink.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "api", "worker", "backup")
LONG_RUNNING = ("api", "worker")
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def env_example() -> tuple[dict[str, str], str]:
    """The assignments of .env.example (uncommented lines) and its whole text."""
    text = (ROOT / ".env.example").read_text()
    values = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values, text


def argv(command: str | list[str]) -> list[str]:
    return command.split() if isinstance(command, str) else list(command)


def dockerfile_cmd() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    cmd = [line for line in lines if line.startswith("CMD ")]
    assert len(cmd) == 1, "the Dockerfile must have exactly one CMD"
    parsed: list[str] = json.loads(cmd[0][4:])
    return parsed


def image_commands(services: dict[str, dict[str, Any]]) -> list[list[str]]:
    commands = [dockerfile_cmd()]
    commands += [argv(s["command"]) for s in services.values() if "command" in s]
    return commands


# --- compose structure ---------------------------------------------------------------------------


def test_services_are_all_there(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= {"postgres", "migrate", *APP_SERVICES, "proxy", "mock"}


def test_postgres_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    check = services["postgres"]["healthcheck"]
    assert "pg_isready" in " ".join(argv(check["test"]))
    assert check["retries"] >= 1
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_migration_runs_once_and_everything_waits_for_it(
    services: dict[str, dict[str, Any]],
) -> None:
    migrate = services["migrate"]
    assert argv(migrate["command"]) == ["dsnlink", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api", "worker", "backup"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_api_and_workers_share_one_data_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    mounts = {}
    for name in APP_SERVICES:
        service = services[name]
        data_dir = service["environment"]["DSNLINK_DATA_DIR"]
        volume = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        mounts[name] = volume[data_dir]
        backups = service["environment"]["DSNLINK_BACKUP_DIRS"].split(",")
        assert all(b in volume for b in backups), name
    assert len(set(mounts.values())) == 1, f"the services mount different data volumes: {mounts}"
    assert set(mounts.values()) <= set(compose["volumes"]), "a named volume, not a bind per host"


def test_app_services_read_the_env_file_and_postgres(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env", name
        url = service["environment"]["DSNLINK_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url, name


def test_replicas_do_not_fight_for_host_ports(services: dict[str, dict[str, Any]]) -> None:
    published = [name for name, s in services.items() if s.get("ports")]
    assert published == ["proxy"], "only the proxy publishes a host port"
    for name in LONG_RUNNING:
        assert "replicas" in services[name]["deploy"], name
        assert "container_name" not in services[name], name


def test_proxy_spreads_requests_over_the_api_replicas(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    (config,) = proxy["configs"]
    nginx = compose["configs"][config["source"]]["content"]
    assert "resolver 127.0.0.11" in nginx, "re-resolve the service name to see every replica"
    assert "http://api:8000" in nginx
    assert proxy["ports"] == ["${DSNLINK_HTTP_PORT:-8000}:8000"]


def test_mock_listens_on_all_interfaces(services: dict[str, dict[str, Any]]) -> None:
    command = argv(services["mock"]["command"])
    assert command[:3] == ["python", "-m", "mock_netentreprises"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    values, _ = env_example()
    port = command[command.index("--port") + 1]
    assert values["DSNLINK_DEPOSIT_POINT_URL"] == f"http://mock:{port}"


def test_every_compose_variable_is_in_env_example() -> None:
    used = set(INTERPOLATION.findall((ROOT / "docker-compose.yml").read_text()))
    values, _ = env_example()
    assert used, "the compose file reads its settings from .env"
    assert used <= set(values), f"undocumented in .env.example: {sorted(used - set(values))}"


# --- the image's commands ----------------------------------------------------------------------


def check_command(command: list[str]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    installed = {e.name: e for e in importlib.metadata.entry_points(group="console_scripts")}
    program = command[0]
    if program == "dsnlink":
        assert "dsnlink" in scripts
        args = build_parser().parse_args(command[1:])
        assert callable(args.func), command
    elif program == "uvicorn":
        assert "uvicorn" in installed
        assert "--factory" in command, "create_app takes its settings: run it as a factory"
        target = next(a for a in command[1:] if ":" in a and not a.startswith("-"))
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), target
    elif program == "python":
        assert command[1] == "-m"
        assert importlib.util.find_spec(f"{command[2]}.__main__") is not None, command
    else:
        raise AssertionError(f"unknown program in the image: {command}")


def test_every_command_exists_in_the_image(services: dict[str, dict[str, Any]]) -> None:
    commands = image_commands(services)
    assert len(commands) >= 5
    for command in commands:
        check_command(command)


def test_api_command_serves_without_worker(services: dict[str, dict[str, Any]]) -> None:
    api = argv(services["api"]["command"])
    default = dockerfile_cmd()
    assert default[:2] == ["dsnlink", "serve"] and default[default.index("--worker") + 1] == "no"
    assert "--host=0.0.0.0" in api or api[api.index("--host") + 1] == "0.0.0.0"


# --- Dockerfile and .dockerignore ----------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_from_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert re.search(r"pip install \.(\s|$)", text)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}, "the image must run as a non-root user"
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = [p.rstrip("*") for p in find["find"]["include"]]
    copied = {src for line in re.findall(r"^COPY (.+)$", text, re.M) for src in line.split()[:-1]}
    for needed in [*packages, "schemas", "pyproject.toml", "README.md"]:
        assert needed in copied, f"{needed} is not copied into the image"


def test_dockerignore_keeps_secrets_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored and ".venv" in ignored and "data" in ignored


# --- .env.example ------------------------------------------------------------------------------


def test_every_setting_is_documented_in_env_example() -> None:
    _, text = env_example()
    documented = set(re.findall(r"\b(DSNLINK_[A-Z0-9_]+)=", text))
    settings = {f"DSNLINK_{name.upper()}" for name in Settings.model_fields}
    missing = settings - documented
    assert not missing, f"settings missing from .env.example: {sorted(missing)}"


def test_env_example_placeholders_are_refused_in_production(tmp_path: Path) -> None:
    from api.operator import expected_operator_token
    from dsnlink.errors import DsnlinkError
    from dsnlink.security.keys import keyring_from_settings
    from dsnlink.security.receipts import signer_from_settings

    values, _ = env_example()
    settings = {f"DSNLINK_{name.upper()}": name for name in Settings.model_fields}
    fields = {settings[name]: value for name, value in values.items() if name in settings}
    assert fields["environment"] == "production"
    base = Settings(**{**fields, "data_dir": tmp_path})
    checks = {
        "secret_key": base.check_secrets,
        "encryption_keys": lambda: keyring_from_settings(base),
        "receipt_signing_key": lambda: signer_from_settings(base),
        "operator_token": lambda: expected_operator_token(base),
    }
    for name, check in checks.items():
        assert "change-me" in fields[name], name
        with pytest.raises((DsnlinkError, ValueError)):
            check()


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed: the checks above stand in for it",
)
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    result = subprocess.run(
        ["docker", "compose", "config", "-q"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


# --- slow clients and forwarded addresses (docs/security.md, issue 16 items 2 and 3) ----------


def test_api_trusts_forwarded_addresses_from_the_proxy_only(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = argv(services["api"]["command"])
    trusted = next(a for a in api if a.startswith("--forwarded-allow-ips="))
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert "*" not in trusted, "any client could then choose its own address"
    assert trusted.split("=", 1)[1] == proxy_address
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    values, _ = env_example()
    assert values["DSNLINK_PROXY_ADDRESS"] in proxy_address
    assert values["DSNLINK_NETWORK_SUBNET"] in subnet
    (config,) = services["proxy"]["configs"]
    nginx = compose["configs"][config["source"]]["content"]
    # The client's own X-Forwarded-For is replaced, never appended to.
    assert "proxy_set_header X-Forwarded-For $$remote_addr;" in nginx
    assert "proxy_add_x_forwarded_for" not in nginx


def test_slow_clients_are_bounded_by_the_proxy_and_the_replicas(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = argv(services["api"]["command"])
    assert "--http=api.server:GuardedH11Protocol" in api
    assert any(a.startswith("--limit-concurrency=") for a in api)
    assert any(a.startswith("--timeout-keep-alive=") for a in api)
    (config,) = services["proxy"]["configs"]
    nginx = compose["configs"][config["source"]]["content"]
    for directive in ("client_header_timeout", "client_body_timeout", "limit_conn per_client"):
        assert directive in nginx, directive
