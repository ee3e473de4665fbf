"""Every error a person can meet through the API has its French title and detail."""

from __future__ import annotations

import importlib
import pkgutil

import dsnlink
from api.dev_clock import DevClockRefused
from api.errors import status_of
from api.problem_texts import FRENCH_DOMAIN_MESSAGES, TEXTS, paris, texts, wants_english
from dsnlink.errors import DsnlinkError


def _all_errors() -> set[type[DsnlinkError]]:
    for module in pkgutil.walk_packages(dsnlink.__path__, "dsnlink."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: set[type[DsnlinkError]] = set()
    todo: list[type[DsnlinkError]] = [DsnlinkError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def _status(cls: type[DsnlinkError]) -> int:
    try:
        return status_of(cls("x"))
    except TypeError:  # errors built with required context (the deposit point's): never 4xx
        return 500


def test_every_error_answered_with_a_4xx_has_french_texts() -> None:
    missing = sorted(
        cls.code
        for cls in _all_errors() | {DevClockRefused}
        if _status(cls) < 500 and cls.code not in TEXTS | FRENCH_DOMAIN_MESSAGES
    )
    assert missing == []


def test_templates_fill_from_context_and_fall_back() -> None:
    title, detail = texts(
        "quota-exceeded",
        422,
        "english",
        {"siren": "732829320", "limit": 5, "year": 2026, "used": 3, "requested": 3},
        english=False,
    )
    assert title == "Quota de bulletins dépassé" and "732829320" in detail and "5" in detail
    _, plain = texts("quota-exceeded", 422, "english", {}, english=False)
    assert plain.startswith("Le quota de bulletins")
    assert texts("never-heard-of", 409, "english", {}, english=False)[0] == "Conflit"
    assert texts("quota-exceeded", 422, "the english one", {}, english=True)[1] == "the english one"


def test_paris_time_carries_its_offset() -> None:
    from datetime import UTC, datetime

    assert paris(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == (
        "01/07/2026 à 12:00 (heure de Paris, UTC+02:00)"
    )
    assert paris(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)).endswith("UTC+01:00)")


def test_english_only_when_preferred() -> None:
    assert wants_english("en")
    assert wants_english("en-US,en;q=0.9,fr;q=0.5")
    assert not wants_english("fr-FR,fr;q=0.9,en;q=0.8")
    assert not wants_english("de, *;q=0.1")
    assert not wants_english(None)
