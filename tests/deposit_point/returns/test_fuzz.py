"""read_return never raises: random bytes and damaged official samples always give a document."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsnlink.deposit_point.returns import ReturnDocument, read_return, to_dict

from .samples import sample_bytes

SEEDS = [
    sample_bytes(name)
    for name in (
        "exemple_retour_11_BAN.xml",
        "exemple_retour_119_CRM_ACOSS_ANO.xml",
        "CRM-DSN-OC-P3-V1.1.4-Exemple-CRC.xml",
    )
]


def check(document: ReturnDocument) -> None:
    assert isinstance(document.readable, bool)
    if document.readable:
        assert document.format is not None and document.error is None
    else:
        assert document.error and document.format is None
    to_dict(document)  # renders whatever was read


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    check(read_return(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=4000),
    insert=st.binary(max_size=16),
    compress=st.booleans(),
)
def test_damaged_samples(seed: bytes, cut: int, insert: bytes, compress: bool) -> None:
    position = min(cut, len(seed))
    damaged = seed[:position] + insert + seed[position + len(insert) :]
    check(read_return(gzip.compress(damaged) if compress else damaged, nature="51"))
