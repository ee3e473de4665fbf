"""Settings: one environment word, one validator of the secrets, one way to hand them to a child."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from dsnlink.config import PLACEHOLDER_SECRET, Settings
from dsnlink.errors import InputError
from tests.conftest import production_settings


def test_environment_is_one_of_four_words(tmp_path: Path) -> None:
    for word in ("development", "demo", "test", "production"):
        assert Settings(environment=word, data_dir=tmp_path).environment == word
    with pytest.raises(ValidationError):
        Settings(environment="staging", data_dir=tmp_path)  # type: ignore[arg-type]
    assert [Settings(environment=w).is_development for w in ("development", "demo", "test")] == [
        True,
        True,
        True,
    ]
    assert not Settings(environment="production").is_development


def test_development_accepts_placeholders() -> None:
    development = Settings(environment="development", secret_key=PLACEHOLDER_SECRET)
    assert development.secret_problems() == []
    development.check_secrets()


def test_production_refuses_every_placeholder_at_once(tmp_path: Path) -> None:
    production = Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(InputError) as raised:
        production.check_secrets()
    problems = raised.value.context["problems"]
    assert [p.split()[0] for p in problems] == [
        "DSNLINK_SECRET_KEY",
        "DSNLINK_CONCENTRATOR_PASSWORD",
        "DSNLINK_DEPOSIT_POINT_URL",
    ]
    assert "placeholder" in problems[0]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("secret_key", "", "shorter than 32"),
        ("secret_key", "x", "shorter than 32"),
        ("secret_key", "ab" * 30, "fewer than 10 distinct"),
        ("secret_key", "change-me-" + "0123456789abcdef" * 2, "placeholder"),
        ("operator_token", "a", "shorter than 32"),
        ("operator_token", PLACEHOLDER_SECRET, "placeholder"),
        ("metrics_token", SecretStr("short-token"), "shorter than 32"),
        ("concentrator_password", SecretStr("azerty"), "demo's or a placeholder"),
        ("concentrator_password", SecretStr("abc12"), "shorter than 8"),
        ("deposit_point_url", "http://127.0.0.1:8081", "on this machine"),
        ("deposit_point_url", "http://localhost:9000/", "on this machine"),
    ],
)
def test_production_refuses_each_weak_setting(
    settings: Settings, field: str, value: object, reason: str
) -> None:
    strong = production_settings(settings)
    assert strong.secret_problems() == []
    weak = strong.model_copy(update={field: value})
    problems = weak.secret_problems()
    assert len(problems) == 1 and reason in problems[0], problems
    with pytest.raises(InputError):
        weak.check_secrets()


def test_to_env_gives_a_child_process_the_same_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = settings.model_copy(
        update={"metrics_token": SecretStr("m" * 40), "ready_requires_deposit_point": False}
    )
    env = configured.to_env()
    assert env["DSNLINK_ENVIRONMENT"] == "test"
    assert env["DSNLINK_METRICS_TOKEN"] == "m" * 40
    assert env["DSNLINK_READY_REQUIRES_DEPOSIT_POINT"] == "false"
    assert "DSNLINK_BACKUP_DIRS" not in env  # unset stays unset
    for name in [n for n in os.environ if n.startswith("DSNLINK_")]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rebuilt = Settings(_env_file=None)  # type: ignore[call-arg]
    assert rebuilt.model_dump() == configured.model_dump()


# --- an unset environment serving beyond the loopback (issue 16, item 4) -----------------------


@pytest.fixture
def unset_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("DSNLINK_")]:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_unset_environment_refuses_public_addresses_without_secrets(
    unset_environment: None, host: str
) -> None:
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert default.is_development and not default.environment_is_explicit
    assert default.secret_problems() == []
    assert default.secret_problems(serving_on="127.0.0.1") == []
    problems = default.secret_problems(serving_on=host)
    assert [p.split()[0] for p in problems] == ["DSNLINK_SECRET_KEY", "DSNLINK_OPERATOR_TOKEN"]
    with pytest.raises(InputError):
        default.check_secrets(serving_on=host)
    secrets_set = default.model_copy(
        update={"secret_key": os.urandom(24).hex(), "operator_token": os.urandom(24).hex()}
    )
    assert secrets_set.secret_problems(serving_on=host) == []
    chosen = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert chosen.secret_problems(serving_on=host) == []


def test_serve_refuses_a_public_address_with_placeholder_secrets(
    unset_environment: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from api.cli import main
    from dsnlink.config import get_settings

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DSNLINK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "DSNLINK_SECRET_KEY" in err and "DSNLINK_OPERATOR_TOKEN" in err
    assert not (tmp_path / "data").exists(), "nothing is created before the refusal"


async def test_an_app_started_another_way_answers_only_on_the_loopback(
    unset_environment: None, tmp_path: Path
) -> None:
    """`uvicorn api.app:app --host 0.0.0.0` skips `dsnlink serve`'s refusal: the app itself
    answers 503 to a request that reached it through a public address."""
    import httpx

    from api.app import create_app
    from dsnlink import db

    default = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'gw.sqlite3'}",
    )
    db.upgrade(default.database_url)
    app = create_app(default)

    async def get(base: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # the URL's host is the connection's server
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            return await client.get("/health/live")

    refused = await get("http://192.0.2.10:8000")
    assert refused.status_code == 503
    body = refused.json()
    assert body["title"] == "Passerelle non sécurisée"
    assert "DSNLINK_SECRET_KEY" in body["detail"] and "adresse locale" in body["detail"]
    assert (await get("http://127.0.0.1:8000")).status_code == 200
    assert (await get("http://[::1]:8000")).status_code == 200

    secured = create_app(
        default.model_copy(
            update={"secret_key": os.urandom(24).hex(), "operator_token": os.urandom(24).hex()}
        )
    )
    app = secured
    assert (await get("http://192.0.2.10:8000")).status_code == 200
