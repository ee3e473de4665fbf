"""Realistic synthetic DSN mensuelle files, streamed and deterministic (tests, demos, benchmarks).

The rubrics, value formats and enumerations used here were taken from the norm catalogues
P24V01, P25V01 and P26V01 (only rubrics present in the norm of the declared month are written).
Nothing is read at run time: a sample of 100,000 employees is produced employee by employee, in two
passes over the same seeded random draws (the establishment's contribution totals, which come
before the individuals in the file, are summed in the first pass).
"""

from __future__ import annotations

import gzip
import random
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from dsnlink.norm.sample_data import apply, ddmmyyyy, money, rate_text
from dsnlink.norm.sample_model import (
    FULL_TIME_HOURS,
    SITUATIONS,
    URSSAF_LINES,
    Context,
    Employee,
    SampleParameterError,
    Totals,
    check_parameters,
    parse_month,
    sum_totals,
)

SOFTWARE_NAME = "dsnlink-sample"
SOFTWARE_PUBLISHER = "dsnlink"
SOFTWARE_VERSION = "1.0"
EMPLOYEES_PER_CHUNK = 64
PREVOYANCE_ORGANISM = "P0942"
# Norm versions in which the headcount rubrics S21.G00.06.009 and S21.G00.11.008 still exist.
_HEADCOUNT_RUBRICS = frozenset({"P24V01", "P25V01"})


class _Writer:
    """Collects lines and counts them (S90.G00.90.001 counts every rubric line of the envoi)."""

    __slots__ = ("count", "lines")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, rubric: str, value: str) -> None:
        self.lines.append(f"{rubric},'{value}'\n")

    def take(self) -> bytes:
        self.count += len(self.lines)
        chunk = "".join(self.lines).encode("iso-8859-1")
        self.lines.clear()
        return chunk


def _header(
    out: _Writer, context: Context, *, nature: str, declaration_type: str, test: bool
) -> None:
    d = context.declarant
    c = d.company
    out.add("S10.G00.00.001", SOFTWARE_NAME)
    out.add("S10.G00.00.002", SOFTWARE_PUBLISHER)
    out.add("S10.G00.00.003", SOFTWARE_VERSION)
    out.add("S10.G00.00.005", "01" if test else "02")
    out.add("S10.G00.00.006", context.version)
    out.add("S10.G00.00.007", "01")
    out.add("S10.G00.00.008", "02" if declaration_type == "02" else "01")
    out.add("S10.G00.01.001", d.siren)
    out.add("S10.G00.01.002", d.nic_head_office)
    out.add("S10.G00.01.003", c.name)
    out.add("S10.G00.01.004", c.street)
    out.add("S10.G00.01.005", c.postcode)
    out.add("S10.G00.01.006", c.city)
    out.add("S10.G00.02.001", d.contact_civility)
    out.add("S10.G00.02.002", d.contact_name)
    plain = unicodedata.normalize("NFKD", c.name.split()[0].lower())
    domain = "".join(ch for ch in plain if ch.isascii() and ch.isalpha())
    out.add("S10.G00.02.004", f"paie@{domain or 'entreprise'}.fr")
    out.add("S10.G00.02.005", "0145678910")
    built = context.last + timedelta(days=3)
    out.add("S20.G00.05.001", nature)
    out.add("S20.G00.05.002", declaration_type)
    out.add("S20.G00.05.003", "11")
    out.add("S20.G00.05.004", d.order_number)
    out.add("S20.G00.05.005", f"01{context.first.month:02d}{context.first.year:04d}")
    out.add("S20.G00.05.007", ddmmyyyy(built))
    out.add("S20.G00.05.008", "01")
    out.add("S20.G00.05.010", "01")
    out.add("S21.G00.06.001", d.siren)
    out.add("S21.G00.06.002", d.nic_head_office)
    out.add("S21.G00.06.003", c.ape)
    out.add("S21.G00.06.004", c.street)
    out.add("S21.G00.06.005", c.postcode)
    out.add("S21.G00.06.006", c.city)
    if context.version in _HEADCOUNT_RUBRICS:
        out.add("S21.G00.06.009", str(d.headcount))
    out.add("S21.G00.11.001", d.nic)
    out.add("S21.G00.11.002", c.ape)
    out.add("S21.G00.11.003", c.street)
    out.add("S21.G00.11.004", c.postcode)
    out.add("S21.G00.11.005", c.city)
    if context.version in _HEADCOUNT_RUBRICS:
        out.add("S21.G00.11.008", str(d.headcount))
    out.add("S21.G00.11.017", "01")
    out.add("S21.G00.11.022", c.idcc)
    if context.prevoyance:
        out.add("S21.G00.15.001", f"PREV{context.first.year}")
        out.add("S21.G00.15.002", PREVOYANCE_ORGANISM)
        out.add("S21.G00.15.004", "01")
        out.add("S21.G00.15.005", "1")


def _establishment_payments(out: _Writer, context: Context, totals: Totals) -> None:
    d = context.declarant
    first, last = ddmmyyyy(context.first), ddmmyyyy(context.last)
    lines = []
    for ctp, qualifier, base_code, codes in URSSAF_LINES:
        base = totals.bases[base_code]
        rate = sum(r.total for r in context.rates[base_code] if r.code in codes)
        lines.append((ctp, qualifier, base, rate, apply(base, rate)))
    urssaf_total = sum(amount for *_, amount in lines)
    due = ddmmyyyy(context.last + timedelta(days=15))
    out.add("S21.G00.20.001", d.urssaf_siret)
    out.add("S21.G00.20.003", d.bic)
    out.add("S21.G00.20.004", d.iban)
    out.add("S21.G00.20.005", money(urssaf_total))
    out.add("S21.G00.20.006", first)
    out.add("S21.G00.20.007", last)
    out.add("S21.G00.20.010", "05")
    out.add("S21.G00.20.011", due)
    out.add("S21.G00.20.001", "DGFIP")
    out.add("S21.G00.20.002", "DGFIP_PAS")
    out.add("S21.G00.20.003", d.bic)
    out.add("S21.G00.20.004", d.iban)
    out.add("S21.G00.20.005", money(totals.pas))
    out.add("S21.G00.20.006", first)
    out.add("S21.G00.20.007", last)
    out.add("S21.G00.20.010", "05")
    out.add("S21.G00.22.001", d.urssaf_siret)
    out.add("S21.G00.22.003", first)
    out.add("S21.G00.22.004", last)
    out.add("S21.G00.22.005", money(urssaf_total))
    for ctp, qualifier, base, rate, amount in lines:
        out.add("S21.G00.23.001", ctp)
        out.add("S21.G00.23.002", qualifier)
        if rate % 10 == 0:  # the aggregated rate is written with two decimals at most
            out.add("S21.G00.23.003", rate_text(rate))
        out.add("S21.G00.23.004", money(base))
        out.add("S21.G00.23.005", money(amount))


def _individual(out: _Writer, context: Context, e: Employee) -> None:
    period_first, period_last = ddmmyyyy(e.period_start), ddmmyyyy(e.period_end)
    extra = random.Random(f"situations:{context.seed}:{e.matricule}")
    apprentice = (
        "apprentice" in context.situations
        and context.nature == "01"
        and context.first.year - e.birth.year < 26
        and extra.random() < 0.5
    )
    planned_end = e.planned_end
    if apprentice and planned_end is None:
        planned_end = context.last + timedelta(days=extra.randint(30, 700))
    out.add("S21.G00.30.001", e.nir)
    out.add("S21.G00.30.002", e.last_name)
    out.add("S21.G00.30.004", e.first_names)
    out.add("S21.G00.30.005", e.sex)
    out.add("S21.G00.30.006", ddmmyyyy(e.birth))
    out.add("S21.G00.30.007", e.birth_place)
    out.add("S21.G00.30.008", e.street)
    out.add("S21.G00.30.009", e.postcode)
    out.add("S21.G00.30.010", e.city)
    out.add("S21.G00.30.014", e.birth_department)
    out.add("S21.G00.30.019", e.matricule)
    if apprentice:
        out.add("S21.G00.30.025", extra.choice(("03", "04", "05", "06")))

    category = e.category
    company = context.declarant.company
    out.add("S21.G00.40.001", ddmmyyyy(e.start))
    out.add("S21.G00.40.002", category.statut)
    out.add("S21.G00.40.003", category.retraite)
    out.add("S21.G00.40.004", e.pcs)
    out.add("S21.G00.40.006", e.title)
    out.add("S21.G00.40.007", "02" if planned_end else "01")
    out.add("S21.G00.40.008", "64" if apprentice else "99")
    out.add("S21.G00.40.009", e.contract_number)
    if planned_end:
        out.add("S21.G00.40.010", ddmmyyyy(planned_end))
    out.add("S21.G00.40.011", "10")
    out.add("S21.G00.40.012", money(FULL_TIME_HOURS))
    out.add("S21.G00.40.013", money(e.quotity))
    out.add("S21.G00.40.014", "10" if e.quotity == FULL_TIME_HOURS else "20")
    out.add("S21.G00.40.016", "99")
    out.add("S21.G00.40.017", company.idcc)
    out.add("S21.G00.40.018", "200")
    out.add("S21.G00.40.019", context.siret)
    out.add("S21.G00.40.020", "200")
    if planned_end and not apprentice:
        out.add("S21.G00.40.021", "02")
    out.add("S21.G00.40.024", "99")
    out.add("S21.G00.40.026", "99")
    out.add("S21.G00.40.036", "01")
    out.add("S21.G00.40.037", "01")
    out.add("S21.G00.40.039", "200")
    out.add("S21.G00.40.040", company.at_risk)
    out.add("S21.G00.40.043", rate_text(company.at_rate))
    if "sick-leave" in context.situations and context.nature == "01" and extra.random() < 0.1:
        first_day = max(e.period_start, context.first)
        span = (e.period_end - first_day).days
        if span > 1:
            last_worked = first_day + timedelta(days=extra.randint(0, span - 1))
            out.add("S21.G00.60.001", "01")  # maladie
            out.add("S21.G00.60.002", ddmmyyyy(last_worked))
            out.add("S21.G00.60.003", ddmmyyyy(last_worked + timedelta(days=extra.randint(3, 30))))
    if e.ending:
        out.add("S21.G00.62.001", ddmmyyyy(e.ending.end))
        out.add("S21.G00.62.002", e.ending.reason)
        if e.ending.notice_start:
            # Date of notification: a resignation is notified when its notice starts.
            out.add("S21.G00.62.003", ddmmyyyy(max(e.ending.notice_start, e.start)))
        out.add("S21.G00.62.006", ddmmyyyy(e.ending.end))
        out.add("S21.G00.62.020", f"01{context.first.month:02d}{context.first.year:04d}")
        if e.ending.notice_start:
            out.add("S21.G00.63.001", "01")
            out.add("S21.G00.63.002", ddmmyyyy(max(e.ending.notice_start, e.start)))
            out.add("S21.G00.63.003", ddmmyyyy(e.ending.end))
        else:
            out.add("S21.G00.63.001", "90")
    if context.prevoyance:
        out.add("S21.G00.70.004", "OPT1")
        out.add("S21.G00.70.005", "POP1")
        out.add("S21.G00.70.012", "1")
        out.add("S21.G00.70.013", "1")
    out.add("S21.G00.71.002", "RUAA")
    second = (
        "second-contract" in context.situations
        and context.nature == "01"
        and e.ending is None
        and extra.random() < 0.1
    )
    second_number = f"{e.contract_number}B"
    if second:
        second_start = max(e.start, context.first - timedelta(days=extra.randint(0, 200)))
        out.add("S21.G00.40.001", ddmmyyyy(second_start))
        out.add("S21.G00.40.002", category.statut)
        out.add("S21.G00.40.003", category.retraite)
        out.add("S21.G00.40.004", e.pcs)
        out.add("S21.G00.40.006", e.title)
        out.add("S21.G00.40.007", "02")  # CDD
        out.add("S21.G00.40.008", "99")
        out.add("S21.G00.40.009", second_number)
        out.add("S21.G00.40.010", ddmmyyyy(context.last + timedelta(days=extra.randint(1, 200))))
        out.add("S21.G00.40.011", "10")
        out.add("S21.G00.40.012", money(FULL_TIME_HOURS))
        out.add("S21.G00.40.013", money(3_033))  # 30.33 hours a month
        out.add("S21.G00.40.014", "20")
        out.add("S21.G00.40.016", "99")
        out.add("S21.G00.40.017", company.idcc)
        out.add("S21.G00.40.018", "200")
        out.add("S21.G00.40.019", context.siret)
        out.add("S21.G00.40.020", "200")
        out.add("S21.G00.40.021", "02")  # accroissement temporaire d'activité
        out.add("S21.G00.40.024", "99")
        out.add("S21.G00.40.026", "99")
        out.add("S21.G00.40.036", "01")
        out.add("S21.G00.40.037", "01")
        out.add("S21.G00.40.039", "200")
        out.add("S21.G00.40.040", company.at_risk)
        out.add("S21.G00.40.043", rate_text(company.at_rate))
        if context.prevoyance:
            out.add("S21.G00.70.004", "OPT1")
            out.add("S21.G00.70.005", "POP1")
            out.add("S21.G00.70.012", "2")
            out.add("S21.G00.70.013", "1")
        out.add("S21.G00.71.002", "RUAA")

    out.add("S21.G00.50.001", ddmmyyyy(e.payment_date))
    out.add("S21.G00.50.002", money(e.net_taxable))
    out.add("S21.G00.50.004", money(e.net_paid))
    out.add("S21.G00.50.006", f"{e.pas_rate // 100}.{e.pas_rate % 100:02d}")
    out.add("S21.G00.50.007", "01")
    out.add("S21.G00.50.008", e.pas_id)
    out.add("S21.G00.50.009", money(e.pas))
    out.add("S21.G00.50.013", money(e.net_taxable))
    if e.ending:
        out.add("S21.G00.50.020", "01")
    # Each contract paid in the month carries pays 001, 002 (with its activity), 003 and 010
    # (S21.G00.51.011/CCH-11; 001, 002 and 010 in a FCTU: CCH-15).
    for pay_type in ("001", "002", "003", "010"):
        out.add("S21.G00.51.001", period_first)
        out.add("S21.G00.51.002", period_last)
        out.add("S21.G00.51.010", e.contract_number)
        out.add("S21.G00.51.011", pay_type)
        out.add("S21.G00.51.013", money(e.gross))
        if pay_type == "002":
            out.add("S21.G00.53.001", "01")
            out.add("S21.G00.53.002", money(e.hours_worked))
            out.add("S21.G00.53.003", "10")
    if second:
        for pay_type in ("001", "002", "003", "010"):
            out.add("S21.G00.51.001", ddmmyyyy(max(context.first, second_start)))
            out.add("S21.G00.51.002", ddmmyyyy(context.last))
            out.add("S21.G00.51.010", second_number)
            out.add("S21.G00.51.011", pay_type)
            out.add("S21.G00.51.013", money(e.gross // 5))
            if pay_type == "002":
                out.add("S21.G00.53.001", "01")
                out.add("S21.G00.53.002", "30.33")  # its 30.33 hours a month
                out.add("S21.G00.53.003", "10")
    out.add("S21.G00.58.001", period_first)
    out.add("S21.G00.58.002", period_last)
    out.add("S21.G00.58.003", "03")
    out.add("S21.G00.58.004", money(e.net_social))
    for base in e.bases:
        out.add("S21.G00.78.001", base.code)
        out.add("S21.G00.78.002", period_first)
        out.add("S21.G00.78.003", period_last)
        out.add("S21.G00.78.004", money(base.amount))
        for rate, amount in base.contributions:
            out.add("S21.G00.81.001", rate.code)
            out.add("S21.G00.81.003", money(base.amount))
            out.add("S21.G00.81.004", money(amount))
            out.add("S21.G00.81.007", rate_text(rate.total, decimals=3))
    if context.prevoyance:
        # Prévoyance elements: a base 31 at zero per affiliation (S21.G00.78.005 names it), its
        # component (the gross pay it applies to) and the contribution on it (059).
        affiliations = [("1", e.gross)] + ([("2", e.gross // 5)] if second else [])
        for affiliation, gross in affiliations:
            out.add("S21.G00.78.001", "31")
            out.add("S21.G00.78.002", period_first)
            out.add("S21.G00.78.003", period_last)
            out.add("S21.G00.78.004", "0.00")
            out.add("S21.G00.78.005", affiliation)
            out.add("S21.G00.79.001", "10")  # salaire brut prévoyance
            out.add("S21.G00.79.004", money(gross))
            out.add("S21.G00.81.001", "059")
            out.add("S21.G00.81.004", money(apply(gross, 1_500)))
    if context.nature in ("01", "07", "08"):
        # Seniority in the company, in days up to the month's end, for each contract
        # (S21.G00.86.001/CCH-14 in a DSN mensuelle; CCH-12 with a prévoyance affiliation).
        contracts = [(e.contract_number, e.start)]
        if second:
            contracts.append((second_number, second_start))
        for number, start in contracts:
            out.add("S21.G00.86.001", "07")
            out.add("S21.G00.86.002", "01")
            out.add("S21.G00.86.003", str(max(1, (context.last - start).days + 1)))
            out.add("S21.G00.86.005", number)


def generate_sample(
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> Iterator[bytes]:
    """A DSN of `employees` individuals for `month`, as ISO-8859-1 chunks.

    Nature 01 is a DSN mensuelle (with no employee, a "néant": type 02, envoi type 02); nature 07
    a FCTU where each individual's contract ends during the month (end of fixed term, or
    resignation after a month's notice). Deterministic for a seed; memory stays flat whatever the
    size (chunks of a few dozen individuals).
    Parameters are checked before the first chunk, so a bad call fails at once.
    """
    first = parse_month(month)
    check_parameters(employees, nature, siren, nic)
    unknown = sorted(set(situations) - set(SITUATIONS))
    if unknown:
        raise SampleParameterError(
            f"unknown situation(s) {', '.join(unknown)}", parameter="situations"
        )
    context = Context(
        first=first,
        seed=seed,
        employees=employees,
        nature=nature,
        siren=siren,
        nic=nic,
        situations=frozenset(situations),
    )
    return _generate(context, employees=employees, nature=nature, test=test)


def _generate(context: Context, *, employees: int, nature: str, test: bool) -> Iterator[bytes]:
    out = _Writer()
    _header(out, context, nature=nature, declaration_type="01" if employees else "02", test=test)
    if employees and nature == "01":  # signalements carry no payment nor contribution slip
        _establishment_payments(out, context, sum_totals(context, employees))
    yield out.take()
    for index in range(employees):
        _individual(out, context, context.employee(index))
        if len(out.lines) >= EMPLOYEES_PER_CHUNK * 80:
            yield out.take()
    out.add("S90.G00.90.001", str(out.count + len(out.lines) + 2))
    out.add("S90.G00.90.002", "1")
    yield out.take()


def sample_bytes(
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> bytes:
    """The whole sample in memory (for small samples and tests); same arguments."""
    return b"".join(
        generate_sample(
            employees=employees,
            month=month,
            nature=nature,
            seed=seed,
            siren=siren,
            nic=nic,
            test=test,
            situations=situations,
        )
    )


def write_sample(
    path: str | Path,
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> int:
    """Write a sample to `path` (gzip-compressed when it ends in .gz); returns bytes written."""
    chunks = generate_sample(
        employees=employees,
        month=month,
        nature=nature,
        seed=seed,
        siren=siren,
        nic=nic,
        test=test,
        situations=situations,
    )
    target = Path(path)
    written = 0
    opener = gzip.open if target.suffix == ".gz" else open
    with opener(target, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            written += len(chunk)
    return written
