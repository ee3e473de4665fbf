"""How payslips are counted against the yearly limit (annule-et-remplace replaces)."""

from __future__ import annotations

import uuid

from dsnlink.declarations.quota import payslips_counted

HEAD_OFFICE, SHOP = uuid.uuid4(), uuid.uuid4()


def test_each_month_and_establishment_adds() -> None:
    rows = [
        (HEAD_OFFICE, "2026-01", "01", 10),
        (HEAD_OFFICE, "2026-02", "01", 11),
        (SHOP, "2026-01", "01", 4),
    ]
    assert payslips_counted(rows) == 25


def test_annule_et_remplace_replaces_the_month_it_corrects() -> None:
    rows = [
        (HEAD_OFFICE, "2026-01", "01", 10),
        (SHOP, "2026-01", "01", 4),
        (HEAD_OFFICE, "2026-01", "03", 12),
    ]
    assert payslips_counted(rows) == 16
    # A later néant replacement (type 05) leaves the month at zero for that establishment.
    assert payslips_counted([*rows, (HEAD_OFFICE, "2026-01", "05", 0)]) == 4


def test_a_second_normal_declaration_of_a_month_adds() -> None:
    assert payslips_counted([(SHOP, "2026-03", "01", 4), (SHOP, "2026-03", "01", 2)]) == 6
