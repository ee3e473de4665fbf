"""Checks run as a rubric is read and at an individual's or a declaration's close: identifier
keys (NIR, NTT, SIREN, SIRET, IBAN/RIB), the envoi and declaration context, signalement events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dsnlink.norm.catalogue import (
    VERSION_SHAPE,
    version_for_year,
)
from dsnlink.norm.report import Reporting
from dsnlink.norm.tree import parse_date

Hook = Callable[[str, str, int], None]
# The event a signalement reports, from which its 5-working-day deadline runs: last day worked
# before a work stoppage (04), the return to work (05), the end of the contract (07).
EVENT_RUBRICS = {"04": "S21.G00.60.002", "05": "S21.G00.60.010", "07": "S21.G00.62.001"}


def _nir_key(nir: str) -> int:
    """A NIR (13 characters, digits or 2A/2B, already checked by its regexp) as an int."""
    return int(nir, 36)


def _trailing_nines(nir: str) -> int:
    return len(nir) - len(nir.rstrip("9"))


def _nir_department_forbidden(dept: str, birth_year: int) -> bool:
    return (
        (dept in ("2A", "2B") and birth_year < 1976)
        or (dept == "20" and birth_year >= 1976)
        or (dept == "96" and birth_year >= 1968)
    )


def key_ok(check: str, value: str, context_siren: str | None) -> bool | None:
    """Key check of an identifier; None when it cannot be checked (no SIREN in context)."""
    if check == "siren":
        return value.isascii() and value.isdigit() and stdnum_siren.is_valid(value)
    if check == "siret":
        return value.isascii() and value.isdigit() and stdnum_siret.is_valid(value)
    if check == "siret_siren":
        return value[:9].isascii() and value[:9].isdigit() and stdnum_siren.is_valid(value[:9])
    if check == "nic":
        if not context_siren or not stdnum_siren.is_valid(context_siren):
            return None
        return value.isascii() and value.isdigit() and stdnum_siret.is_valid(context_siren + value)
    if check == "iban":
        return stdnum_iban.is_valid(value)
    if check == "bban":
        return _french_rib_key_ok(value)
    return None


_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _french_rib_key_ok(iban: str) -> bool | None:
    """The RIB key of a French BBAN (bank 5, branch 5, account 11, key 2; letters of the account
    count as the RIB table says); None for other countries, whose BBAN keys differ."""
    if not iban.startswith("FR") or len(iban) != 27:
        return None
    bban = iban[4:].upper().translate(_RIB_LETTERS)
    if not bban.isdigit():
        return False
    bank, branch, account, key = int(bban[:5]), int(bban[5:10]), int(bban[10:21]), int(bban[21:])
    return (89 * bank + 15 * branch + 3 * account + key) % 97 == 0


class RubricHooks(Reporting):
    """Checks run as a rubric is read, and at the close of an individual or a declaration."""

    def _h_envoi(self, rid: str, value: str, lineno: int) -> None:
        self.envoi_lines[rid] = lineno
        if rid == "S10.G00.00.005":
            self.report.test_or_real = value
        else:
            self.report.envoi_type = value

    def _h_version(self, rid: str, value: str, lineno: int) -> None:
        self.declared_version = value
        self.envoi_lines["S10.G00.00.006"] = lineno
        if value in self.versions:
            return
        if VERSION_SHAPE.fullmatch(value):
            self.missing_norm = (value, lineno)
        else:
            self.add(
                "DSNLINK-NORM-02",
                lineno,
                "S10.G00.00.006",
                value,
                found=value,
                used=self.cat.version,
            )

    def _h_context(self, rid: str, value: str, lineno: int) -> None:
        self.context[rid] = value

    def _h_decl(self, rid: str, value: str, lineno: int) -> None:
        decl = self.decl
        if decl is None:
            return
        decl.lines[rid] = lineno
        s = decl.summary
        if rid.endswith("001"):
            s.nature = value
        elif rid.endswith("002"):
            s.type = value
        elif rid.endswith("003"):
            s.fraction = value
        elif rid.endswith("004"):
            s.order_number = value
        elif rid.endswith("005"):
            s.month = f"{value[4:8]}-{value[2:4]}"
            self.env.set_month(parse_date(value))
        elif rid.endswith("006"):
            s.replaced_id = value
        else:
            self.env.built = parse_date(value)
        self.env.nature, self.env.type = s.nature, s.type

    def _h_event(self, rid: str, value: str, lineno: int) -> None:
        decl = self.decl
        if decl is None or EVENT_RUBRICS.get(decl.summary.nature or "") != rid:
            return
        try:
            event = date(int(value[4:8]), int(value[2:4]), int(value[0:2])).isoformat()
        except ValueError:
            return  # the date control reports it
        if decl.summary.event_date is None or event < decl.summary.event_date:
            decl.summary.event_date = event

    def _h_siren(self, rid: str, value: str, lineno: int) -> None:
        self.context["S21.G00.06.001"] = value
        self.env.siren = value
        if self.decl is not None:
            self.decl.summary.siren = value

    def _h_nic(self, rid: str, value: str, lineno: int) -> None:
        if self.decl is not None:
            self.decl.summary.nic = value

    def _h_nir(self, rid: str, value: str, lineno: int) -> None:
        if self.indiv is not None:
            self.indiv.nir = value
            self.indiv.nir_line = lineno

    def _h_birth(self, rid: str, value: str, lineno: int) -> None:
        if self.indiv is not None:
            self.indiv.birth = value
            self.indiv.birth_line = lineno

    def _h_ntt(self, rid: str, value: str, lineno: int) -> None:
        if value[:1] not in ("1", "2"):
            self.add(f"{rid}/CSL-11", lineno, rid, value)
        if " " in value:
            self.add(f"{rid}/CSL-12", lineno, rid, value)
        siren = self.decl.summary.siren if self.decl is not None else None
        if siren and value[1:10] != siren:
            self.add(f"{rid}/CCH-13", lineno, rid, value)
        if self.indiv is not None:
            self.indiv.ntt = value
        if self.decl is not None:
            if value in self.decl.ntts:
                self.add(f"{rid}/CCH-14", lineno, rid, value)
            self.decl.ntts.add(value)

    def _h_total(self, rid: str, value: str, lineno: int) -> None:
        self.s90[rid[-3:]] = (value, lineno)

    def _reference_year(self) -> int:
        month = self.decl.summary.month if self.decl is not None else None
        if month and month[:4].isdigit():
            return int(month[:4])
        return self.today.year

    def _close_individual(self) -> None:
        ind, self.indiv = self.indiv, None
        if ind is None:
            return
        decl = self.decl
        nir = ind.nir
        birth_year = int(ind.birth[4:8]) if ind.birth else None
        if nir is not None:
            rid = "S21.G00.30.001"
            if nir in ("1999999999999", "2999999999999"):
                self.add(f"{rid}/CCH-13", ind.nir_line, rid, nir)
            elif _trailing_nines(nir) > 5:
                self.add(f"{rid}/CCH-16", ind.nir_line, rid, nir)
            if decl is not None:
                key = _nir_key(nir)
                if key in decl.nirs:
                    self.add(f"{rid}/CCH-14", ind.nir_line, rid, nir)
                decl.nirs.add(key)
            if birth_year is not None and ind.birth is not None and nir[1:] != "9" * 12:
                if _nir_department_forbidden(nir[5:7], birth_year):
                    self.add(f"{rid}/CCH-11", ind.nir_line, rid, nir)
                if nir[1:3] != ind.birth[6:8]:
                    self.add("S21.G00.30.006/CCH-11", ind.birth_line, "S21.G00.30.006", ind.birth)
        elif ind.ntt is None:
            self.add("S21.G00.30.020/CCH-12", ind.line, "S21.G00.30.020", None)
        if birth_year is not None:
            # Official: birth year <= current year and > current year - 120.
            age = self._reference_year() - birth_year
            if not 0 <= age < 120:
                self.add("S21.G00.30.006/CCH-12", ind.birth_line, "S21.G00.30.006", ind.birth)

    def _close_declaration(self) -> None:
        if self.indiv is not None:
            self._close_individual()
        decl, self.decl = self.decl, None
        if decl is None:
            return
        s = decl.summary
        line = decl.lines.get
        if not (s.nature == "01" and s.type in ("02", "05")):
            self.all_without_individual = False
        individuals = s.individuals + decl.non_salaried
        t, nature = s.type, s.nature
        type_line = line("S20.G00.05.002", s.line)
        if t == "04" and nature not in (None, "07", "08", "09"):
            self.add("S20.G00.05.002/CCH-13", type_line, "S20.G00.05.002", t)
        if t in ("02", "05") and nature not in (None, "01"):
            self.add("S20.G00.05.002/CCH-14", type_line, "S20.G00.05.002", t)
        if t == "03" and nature == "08":
            self.add("S20.G00.05.002/CCH-15", type_line, "S20.G00.05.002", t)
        if t in ("01", "03") and individuals == 0:
            self.add("S20.G00.05.002/CCH-16", type_line, "S20.G00.05.002", t)
        if nature == "08" and individuals != 1:
            self.add(
                "S20.G00.05.001/CCH-11", line("S20.G00.05.001", s.line), "S20.G00.05.001", nature
            )
        if nature in self.signalements and s.fraction is not None and s.fraction != "11":
            self.add(
                "S20.G00.05.003/CCH-11",
                line("S20.G00.05.003", s.line),
                "S20.G00.05.003",
                s.fraction,
            )
        if s.replaced_id is not None and t not in (None, "03", "04"):
            self.add(
                "S20.G00.05.006/CCH-12",
                line("S20.G00.05.006", s.line),
                "S20.G00.05.006",
                s.replaced_id,
            )
        if (
            s.month is not None
            and self.declared_version is not None
            and s.month[:4].isdigit()
            and self.missing_norm is None
        ):
            expected = version_for_year(int(s.month[:4]), self.versions)
            if expected != self.declared_version:
                self.add(
                    "DSNLINK-NORM-01",
                    line("S20.G00.05.005"),
                    "S20.G00.05.005",
                    s.month,
                    version=self.declared_version,
                    month=s.month,
                    expected=expected or "aucune version installée",
                )
