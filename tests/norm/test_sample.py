"""The sample generator: determinism, norm version, totals, identifiers, money, streaming, CLI."""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dsnlink.cli import main
from dsnlink.norm.sample import generate_sample, sample_bytes, write_sample
from dsnlink.norm.sample_model import MAX_EMPLOYEES, SampleParameterError, norm_version_for

LINE = re.compile(r"(S\d\d\.G\d\d\.\d\d\.\d\d\d),'(.*)'")
AMOUNT = re.compile(r"-?\d+\.\d\d")


def parse(data: bytes) -> list[tuple[str, str]]:
    text = data.decode("iso-8859-1")
    assert text.endswith("\n")
    rows = []
    for line in text.split("\n")[:-1]:
        match = LINE.fullmatch(line)
        assert match, line
        assert len(line) + 1 <= 256
        rows.append((match.group(1), match.group(2)))
    return rows


def values(rows: list[tuple[str, str]], rubric: str) -> list[str]:
    return [value for rid, value in rows if rid == rubric]


def one(rows: list[tuple[str, str]], rubric: str) -> str:
    (value,) = values(rows, rubric)
    return value


def individuals(rows: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The rows of each S21.G00.30 subtree."""
    found: list[list[tuple[str, str]]] = []
    for rid, value in rows:
        if rid == "S21.G00.30.001":
            found.append([])
        if rid.startswith("S90"):
            break
        if found:
            found[-1].append((rid, value))
    return found


def money(text: str) -> Decimal:
    assert AMOUNT.fullmatch(text), text
    return Decimal(text)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = sample_bytes(employees=12, month="2025-03", seed=7)
    assert first == sample_bytes(employees=12, month=date(2025, 3, 17), seed=7)
    assert first != sample_bytes(employees=12, month="2025-03", seed=8)


@pytest.mark.parametrize(
    ("month", "version"), [("2024-01", "P24V01"), ("2025-12", "P25V01"), ("2026-06", "P26V01")]
)
def test_norm_version_is_the_one_in_force_for_the_month(month: str, version: str) -> None:
    rows = parse(sample_bytes(employees=2, month=month))
    assert norm_version_for(month) == version
    assert one(rows, "S10.G00.00.006") == version
    year, number = month.split("-")
    assert one(rows, "S20.G00.05.005") == f"01{number}{year}"


def test_headcount_rubrics_only_where_the_norm_has_them() -> None:
    for month, present in (("2024-05", True), ("2025-05", True), ("2026-05", False)):
        rows = parse(sample_bytes(employees=3, month=month))
        rubrics = {rid for rid, _ in rows}
        assert ("S21.G00.06.009" in rubrics) is present
        assert ("S21.G00.11.008" in rubrics) is present


def test_header_envoi_and_declaration() -> None:
    rows = parse(sample_bytes(employees=5, month="2025-09", seed=3))
    assert rows[0] == ("S10.G00.00.001", "dsnlink-sample")
    assert one(rows, "S10.G00.00.005") == "01"
    assert one(rows, "S10.G00.00.007") == "01"
    assert one(rows, "S10.G00.00.008") == "01"
    assert one(rows, "S20.G00.05.001") == "01"
    assert one(rows, "S20.G00.05.002") == "01"
    assert one(rows, "S20.G00.05.003") == "11"
    assert len(values(rows, "S21.G00.30.001")) == 5


def test_totals_count_every_line_and_the_declaration() -> None:
    for employees in (0, 1, 9):
        rows = parse(sample_bytes(employees=employees, month="2024-11", seed=employees))
        assert rows[-2] == ("S90.G00.90.001", str(len(rows)))
        assert rows[-1] == ("S90.G00.90.002", "1")
        assert len(values(rows, "S20.G00.05.001")) == 1


def test_no_employee_gives_a_neant_declaration() -> None:
    rows = parse(sample_bytes(employees=0, month="2026-01"))
    assert one(rows, "S10.G00.00.008") == "02"
    assert one(rows, "S20.G00.05.002") == "02"
    assert not values(rows, "S21.G00.30.001")
    assert not values(rows, "S21.G00.22.001")


def test_siren_siret_and_iban_keys_are_valid() -> None:
    for seed in range(15):
        rows = parse(sample_bytes(employees=1, month="2025-02", seed=seed))
        siren = one(rows, "S21.G00.06.001")
        assert stdnum_siren.is_valid(siren)
        assert one(rows, "S10.G00.01.001") == siren
        assert stdnum_siret.is_valid(siren + one(rows, "S21.G00.06.002"))
        assert stdnum_siret.is_valid(siren + one(rows, "S21.G00.11.001"))
        assert one(rows, "S21.G00.40.019") == siren + one(rows, "S21.G00.11.001")
        for iban in values(rows, "S21.G00.20.004"):
            assert stdnum_iban.is_valid(iban)


def test_given_siren_and_nic_are_used_and_checked() -> None:
    rows = parse(sample_bytes(employees=1, month="2025-02", siren="552100554", nic="00013"))
    assert one(rows, "S21.G00.06.001") == "552100554"
    assert one(rows, "S21.G00.11.001") == "00013"
    with pytest.raises(SampleParameterError):
        sample_bytes(employees=1, month="2025-02", siren="552100555")
    with pytest.raises(SampleParameterError):
        sample_bytes(employees=1, month="2025-02", siren="552100554", nic="00014")


def test_nir_is_coherent_with_sex_birth_date_and_department_and_unique() -> None:
    rows = parse(sample_bytes(employees=400, month="2024-06", seed=11))
    nirs = values(rows, "S21.G00.30.001")
    assert len(nirs) == len(set(nirs)) == 400
    departments: Counter[str] = Counter()
    for person in individuals(rows):
        nir = one(person, "S21.G00.30.001")
        sex, birth = one(person, "S21.G00.30.005"), one(person, "S21.G00.30.006")
        born = date(int(birth[4:]), int(birth[2:4]), int(birth[:2]))
        assert len(nir) == 13
        assert nir[0] == sex[1]
        assert nir[1:3] == birth[6:8]
        assert nir[3:5] == birth[2:4]
        department = nir[5:7]
        assert department == one(person, "S21.G00.30.014")
        departments[department] += 1
        assert department != "96"
        if department in ("2A", "2B"):
            assert born.year >= 1976
        if department == "20":
            assert born.year < 1976
        assert not nir.endswith("999999")
        assert 0 < 2024 - born.year <= 120
        start = one(person, "S21.G00.40.001")
        assert date(int(start[4:]), int(start[2:4]), int(start[:2])) > born
    assert len(departments) > 20


def test_names_are_latin1_with_accents_and_apostrophes() -> None:
    data = sample_bytes(employees=300, month="2025-04", seed=5)
    rows = parse(data)
    names = values(rows, "S21.G00.30.002") + values(rows, "S21.G00.30.004")
    assert any(any(ch in name for ch in "éèêëÉïîôöüç") for name in names)
    assert any("'" in name for name in values(rows, "S21.G00.30.002"))
    assert "É".encode("iso-8859-1") in data
    assert b"\xc3\xa9" not in data  # no UTF-8 é


def test_money_flows_from_gross_to_bases_to_contributions() -> None:
    rows = parse(sample_bytes(employees=60, month="2026-03", seed=2))
    total_pas = Decimal(0)
    base_sums: dict[str, Decimal] = defaultdict(Decimal)
    for person in individuals(rows):
        pay = dict(zip(values(person, "S21.G00.51.011"), values(person, "S21.G00.51.013"),
                       strict=True))
        gross = money(pay["001"])
        assert money(pay["002"]) == money(pay["010"]) == gross
        bases = dict(zip(values(person, "S21.G00.78.001"), values(person, "S21.G00.78.004"),
                         strict=True))
        assert money(bases["03"]) == gross
        assert money(bases["02"]) <= gross
        assert money(bases["04"]) == (gross * Decimal("0.9825")).quantize(Decimal("0.01"),
                                                                          rounding="ROUND_DOWN")
        for code, amount in bases.items():
            base_sums[code] += money(amount)
        for assiette, amount, rate in zip(values(person, "S21.G00.81.003"),
                                          values(person, "S21.G00.81.004"),
                                          values(person, "S21.G00.81.007"), strict=True):
            expected = money(assiette) * Decimal(rate) / 100
            assert abs(money(amount) - expected) <= Decimal("0.005")
        net_taxable = money(one(person, "S21.G00.50.002"))
        pas = money(one(person, "S21.G00.50.009"))
        assert money(one(person, "S21.G00.50.013")) == net_taxable
        pas_rate = Decimal(one(person, "S21.G00.50.006"))
        assert abs(pas - net_taxable * pas_rate / 100) <= 1
        net_social = money(one(person, "S21.G00.58.004"))
        assert money(one(person, "S21.G00.50.004")) == net_social - pas
        assert Decimal(0) < net_social < gross < net_taxable * 2
        total_pas += pas

    payments = dict(zip(values(rows, "S21.G00.20.001"), values(rows, "S21.G00.20.005"),
                        strict=True))
    assert money(payments["DGFIP"]) == total_pas
    aggregated = [money(v) for v in values(rows, "S21.G00.23.005")]
    bordereau = money(one(rows, "S21.G00.22.005"))
    assert bordereau == sum(aggregated)
    assert money(payments[one(rows, "S21.G00.22.001")]) == bordereau
    by_ctp = zip(values(rows, "S21.G00.23.001"), values(rows, "S21.G00.23.002"),
                 values(rows, "S21.G00.23.004"), strict=True)
    for ctp, qualifier, assiette in by_ctp:
        if (ctp, qualifier) == ("100", "920"):
            assert money(assiette) == base_sums["03"]
        if ctp == "260":
            assert money(assiette) == base_sums["04"]


def test_fctu_ends_every_contract_during_the_month() -> None:
    rows = parse(sample_bytes(employees=30, month="2026-05", seed=8, nature="07"))
    assert one(rows, "S20.G00.05.001") == "07"
    assert one(rows, "S20.G00.05.002") == "01"
    assert one(rows, "S20.G00.05.003") == "11"
    assert not values(rows, "S21.G00.20.001")
    assert not values(rows, "S21.G00.22.001")
    reasons: Counter[str] = Counter()
    for person in individuals(rows):
        end = one(person, "S21.G00.62.001")
        assert end.endswith("052026")
        reasons[one(person, "S21.G00.62.002")] += 1
        assert set(values(person, "S21.G00.51.002")) == {end}
        assert one(person, "S21.G00.50.001") == end
        if one(person, "S21.G00.40.007") == "02":
            assert one(person, "S21.G00.40.010") == end
            assert one(person, "S21.G00.63.001") == "90"
        else:
            assert one(person, "S21.G00.63.001") == "01"
            assert one(person, "S21.G00.63.003") == end
    assert set(reasons) == {"031", "059"}
    assert rows[-2] == ("S90.G00.90.001", str(len(rows)))


def test_rubrics_of_a_person_come_in_file_order() -> None:
    rows = parse(sample_bytes(employees=1, month="2025-01", seed=4))
    blocks = [rid[:10] for rid, _ in individuals(rows)[0]]
    firsts = [block for i, block in enumerate(blocks) if i == 0 or blocks[i - 1] != block]
    assert firsts[:5] == ["S21.G00.30", "S21.G00.40", "S21.G00.71", "S21.G00.50", "S21.G00.51"]
    assert firsts[-3:] == ["S21.G00.78", "S21.G00.81", "S21.G00.86"]


def test_twenty_thousand_employees_are_streamed_in_small_chunks() -> None:
    chunks = 0
    biggest = 0
    total = 0
    for chunk in generate_sample(employees=20_000, month="2025-10", seed=1):
        chunks += 1
        biggest = max(biggest, len(chunk))
        total += len(chunk)
    assert total > 30_000_000
    assert chunks > 200
    assert biggest < 1_000_000


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"employees": -1, "month": "2025-01"}, "employees"),
        ({"employees": MAX_EMPLOYEES + 1, "month": "2025-01"}, "employees"),
        ({"employees": 1, "month": "2023-12"}, "no DSN norm"),
        ({"employees": 1, "month": "2027-01"}, "no DSN norm"),
        ({"employees": 1, "month": "2025-1"}, "YYYY-MM"),
        ({"employees": 1, "month": "janvier"}, "YYYY-MM"),
        ({"employees": 1, "month": "2025-01", "nature": "99"}, "nature"),
        ({"employees": 0, "month": "2025-01", "nature": "07"}, "at least one employee"),
    ],
)
def test_bad_parameters_fail_before_any_output(kwargs: dict, fragment: str) -> None:
    with pytest.raises(SampleParameterError, match=fragment):
        generate_sample(**kwargs)


def test_write_sample_plain_and_gzip(tmp_path: Path) -> None:
    expected = sample_bytes(employees=4, month="2024-02", seed=9)
    plain, packed = tmp_path / "s.dsn", tmp_path / "s.dsn.gz"
    assert write_sample(plain, employees=4, month="2024-02", seed=9) == len(expected)
    write_sample(packed, employees=4, month="2024-02", seed=9)
    assert plain.read_bytes() == expected
    assert gzip.decompress(packed.read_bytes()) == expected


def test_cli_writes_stdout_and_files(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
                                     ) -> None:
    expected = sample_bytes(employees=3, month="2026-02", seed=5)
    assert main(["sample", "--employees", "3", "--month", "2026-02", "--seed", "5"]) == 0
    assert capsysbinary.readouterr().out == expected
    target = tmp_path / "out.dsn.gz"
    assert main(["sample", "--employees", "3", "--month", "2026-02", "--seed", "5",
                 "--out", str(target)]) == 0
    assert gzip.decompress(target.read_bytes()) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["--employees", "-5", "--month", "2025-01"],
        ["--employees", "10000000", "--month", "2025-01"],
        ["--employees", "2", "--month", "2023-05"],
        ["--employees", "2", "--month", "2025/05"],
        ["--employees", "2", "--month", "2025-05", "--nature", "42"],
    ],
)
def test_cli_bad_arguments_give_one_line_and_exit_2(
    argv: list[str], capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["sample", *argv]) == 2
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    message = captured.err.decode()
    assert message.startswith("dsnlink: error: ")
    assert message.count("\n") == 1
