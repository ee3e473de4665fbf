"""The declaration's state machine: one table, matching docs/statuses.md, enforced by `advance`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, select

from dsnlink.declarations import timeline
from dsnlink.declarations.errors import IllegalTransition
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from tests.conftest import DEFAULT_NOW

S = DeclarationStatus
DOC = Path(__file__).resolve().parents[2] / "docs" / "statuses.md"


def _documented_transitions() -> dict[DeclarationStatus, set[DeclarationStatus]]:
    table: dict[DeclarationStatus, set[DeclarationStatus]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        status = S(cells[0].strip("`"))
        table[status] = {S(word) for word in re.findall(r"`([a-z_]+)`", cells[3])}
    return table


def test_the_table_is_the_documented_one() -> None:
    documented = _documented_transitions()
    assert set(documented) == set(S)
    assert {status: set(nexts) for status, nexts in timeline.TRANSITIONS.items()} == documented


class _Someone:
    user_id = uuid.uuid4()
    api_key_id = None


def _declaration(status: DeclarationStatus) -> Declaration:
    return Declaration(id=uuid.uuid4(), status=status)


@pytest.mark.parametrize(
    ("current", "to"),
    [(current, to) for current in S for to in S if to is not current],
)
def test_advance_allows_exactly_the_table(
    current: DeclarationStatus, to: DeclarationStatus
) -> None:
    class _Recorder:
        def __init__(self) -> None:
            self.added: list[object] = []

        def add(self, thing: object) -> None:
            self.added.append(thing)

    declaration = _declaration(current)
    session = _Recorder()
    if to in timeline.TRANSITIONS[current]:
        timeline.advance(session, declaration, to, at=DEFAULT_NOW, by=_Someone(), reason="r")  # type: ignore[arg-type]
        assert declaration.status == to
        events = [e for e in session.added if isinstance(e, DeclarationEvent)]
        assert [(e.status, e.detail, e.user_id) for e in events] == [
            (to, {"reason": "r"}, _Someone.user_id)
        ]
    else:
        with pytest.raises(IllegalTransition) as raised:
            timeline.advance(session, declaration, to, at=DEFAULT_NOW)  # type: ignore[arg-type]
        assert declaration.status == current
        assert session.added == []
        assert raised.value.context == {
            "declaration_id": str(declaration.id),
            "current_status": str(current),
            "requested_status": str(to),
        }


def test_staying_put_records_an_event_without_a_change() -> None:
    declaration = _declaration(S.CONFORM)
    added: list[object] = []
    session = type("S", (), {"add": lambda self, thing: added.append(thing)})()
    timeline.advance(session, declaration, S.CONFORM, at=DEFAULT_NOW, nature="61", empty=None)
    assert declaration.status == S.CONFORM
    assert [(e.status, e.detail) for e in added if isinstance(e, DeclarationEvent)] == [
        (S.CONFORM, {"nature": "61"})
    ]


def test_final_statuses_go_nowhere() -> None:
    assert timeline.TRANSITIONS[S.TRANSMISSION_FAILED] == frozenset({S.ORDERED})
    for final in (S.REJECTED, S.REFUSED_BY_DEPOSIT_POINT):
        assert timeline.TRANSITIONS[final] == frozenset()


def test_a_refused_move_leaves_the_database_as_it_was(session: Session) -> None:
    # Through a real session too: nothing is flushed when the move is refused.
    declaration = _declaration(S.REJECTED)
    with pytest.raises(IllegalTransition):
        timeline.advance(session, declaration, S.ORDERED, at=DEFAULT_NOW)
    assert session.exec(select(DeclarationEvent)).all() == []
    assert declaration not in session
