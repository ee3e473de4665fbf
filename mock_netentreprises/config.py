"""What an operator or a test can script about the mock: accounts, delays and injected failures."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

SERVICE_CODES = frozenset({"25", "97", "26", "94", "98"})
CONCENTRATOR_SERVICE = "98"

# Every return nature of the platform (retour codes), the ones a scripted return may carry: the
# bilans family, and the organisms' CRMs of the NEOReS norm and of the complementary organisms.
RETURN_NATURES = frozenset(
    {
        *("10", "11", "20", "21", "22", "23", "30", "31", "34", "36", "38", "40", "41", "44"),
        *("50", "51", "60", "61", "62", "70", "71", "92", "93", "94", "95"),
        *("114", "116", "117", "118", "119", "120", "121", "123", "124"),
        *("130", "132", "135", "136"),
    }
)

# Natures the mock publishes after an accepted deposit, with their default delay in seconds.
DEFAULT_RETURN_DELAYS: dict[str, float] = {
    "10": 0.0,
    "11": 2.0,
    "60": 5.0,
    "61": 10.0,
    "92": 8.0,
    "94": 15.0,
}


class Account(BaseModel):
    """A net-entreprises user: a declarant, or a concentrator when its services include 98."""

    model_config = ConfigDict(extra="forbid")

    siret: str = Field(min_length=14, max_length=14)
    nom: str = Field(min_length=1, max_length=64)
    prenom: str = Field(min_length=1, max_length=39)
    motdepasse: str = Field(min_length=1, max_length=30)
    services: list[str] = Field(default_factory=lambda: ["25", "97"], min_length=1)
    password_expired: bool = False
    identifiant: str | None = Field(
        default=None, min_length=1, max_length=30, description="MSA user name (MSA login)"
    )

    @field_validator("services")
    @classmethod
    def _known_services(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - SERVICE_CODES)
        if unknown:
            raise ValueError(f"unknown service codes {unknown}; known: {sorted(SERVICE_CODES)}")
        return value

    @property
    def is_concentrator(self) -> bool:
        return CONCENTRATOR_SERVICE in self.services

    def same_person(self, siret: str, nom: str, prenom: str) -> bool:
        return (
            self.siret == siret
            and self.nom.casefold() == nom.casefold()
            and self.prenom.casefold() == prenom.casefold()
        )


DEFAULT_ACCOUNTS: tuple[Account, ...] = (
    Account(
        siret="99900000300015",
        nom="declarant",
        prenom="declarant",
        motdepasse="Refonte01",
        services=["97", "94"],
    ),
    Account(
        siret="18751249600022",
        nom="CTR2000",
        prenom="concentrateur",
        motdepasse="azerty",
        services=["98"],
    ),
    # The reference's MSA user; a person of its own, so it never shadows the declarant above.
    Account(
        siret="99900000300015",
        nom="wallace",
        prenom="william",
        motdepasse="azerty",
        services=["26", "94"],
        identifiant="wwallace",
    ),
)


class ForcedOutcome(StrEnum):
    """Overrides the mock's own checks of a deposited file."""

    NONE = "none"
    ARE = "ARE"
    BAN = "BAN"


class DepositThenFail(StrEnum):
    """What the deposit call answers after the flow was stored (the ambiguous failure)."""

    OFF = "off"
    UNAVAILABLE = "503"
    DROP = "drop"
    HANG = "hang"


class MockConfig(BaseModel):
    """Every knob of the mock; `POST /_mock/config` takes any subset of these fields."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    fail_rate: float = Field(default=0.0, ge=0, le=1, description="share of API calls answered 503")
    error_rate: float = Field(
        default=0.0, ge=0, le=1, description="share of API calls answered 500"
    )
    latency: float = Field(default=0.0, ge=0, description="seconds added to every API call")
    hang_rate: float = Field(default=0.0, ge=0, le=1, description="share of API calls that hang")
    hang_seconds: float = Field(default=30.0, ge=0, description="how long a hanging call sleeps")
    token_lifetime: float = Field(default=3600.0, gt=0, description="seconds a token stays valid")
    lock_after: int = Field(
        default=5, ge=1, description="failed logins in a row that lock an account"
    )
    lock_seconds: float = Field(
        default=1800.0, ge=0, description="how long a locked account stays locked"
    )
    return_delays: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_RETURN_DELAYS))
    overwrite_after: float | None = Field(
        default=20.0,
        ge=0,
        description="seconds after which the URSSAF 61 CRM is overwritten; null: never",
    )
    force: ForcedOutcome = ForcedOutcome.NONE
    deposit_then_fail: DepositThenFail = DepositThenFail.OFF
    deposit_then_fail_rate: float = Field(default=1.0, ge=0, le=1)
    deposit_then_fail_count: int | None = Field(
        default=None, ge=0, description="if set, only the next N deposits fail this way"
    )
    max_deposit_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    retention_days: float = Field(
        default=90.0, gt=0, description="returns older than this are purged"
    )
    accept_unknown_declarants: bool = Field(
        default=False,
        description="concentrator mode: accept a declarant part naming no known account",
    )
    timezone: str = Field(default="Europe/Paris", description="zone of dates in paths and listings")
    seed: int | None = Field(default=None, description="seed of the failure-injection dice")
    accounts: list[Account] = Field(default_factory=lambda: list(DEFAULT_ACCOUNTS))

    @field_validator("return_delays")
    @classmethod
    def _known_natures(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(DEFAULT_RETURN_DELAYS))
        if unknown:
            raise ValueError(f"unknown natures {unknown}; known: {sorted(DEFAULT_RETURN_DELAYS)}")
        if any(delay < 0 for delay in value.values()):
            raise ValueError("delays must be >= 0")
        return {**DEFAULT_RETURN_DELAYS, **value}

    def return_delay(self, nature: str) -> float:
        return self.return_delays.get(nature, DEFAULT_RETURN_DELAYS[nature])

    def with_accounts(self, accounts: list[Account]) -> MockConfig:
        """A copy where `accounts` win: same person (SIRET, nom, prénom) replaced, others kept."""
        kept = [
            known
            for known in self.accounts
            if not any(new.same_person(known.siret, known.nom, known.prenom) for new in accounts)
        ]
        return self.model_copy(update={"accounts": [*accounts, *kept]})

    def updated(self, changes: dict[str, object]) -> MockConfig:
        """A validated copy with `changes` applied (unknown keys are refused)."""
        return MockConfig.model_validate({**self.model_dump(mode="json"), **changes})


def load_accounts(path: Path) -> list[Account]:
    """Read extra accounts from a JSON file: a list of Account objects."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of accounts")
    return [Account.model_validate(item) for item in raw]
