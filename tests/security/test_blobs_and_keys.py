"""Encryption at rest, key rotation, API-key hashing and receipt keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dsnlink.config import Settings
from dsnlink.security import apikeys
from dsnlink.security.blobs import CHUNK_SIZE, BlobStore, read_blob
from dsnlink.security.errors import CorruptSecretError, KeyConfigurationError
from dsnlink.security.keys import Keyring, keyring_from_settings
from dsnlink.security.receipts import ReceiptSigner, signer_from_settings, verify_receipt


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_text(Fernet.generate_key().decode())


def write(store: BlobStore, data: bytes, piece: int = 100_000) -> tuple[Path, str]:
    writer = store.staging_writer()
    for start in range(0, len(data), piece):
        writer.write(data[start : start + piece])
    blob = writer.close()
    return blob.path, blob.wrapped_key


def test_multi_chunk_roundtrip_and_nothing_in_clear(tmp_path: Path, keyring: Keyring) -> None:
    store = BlobStore(tmp_path, keyring)
    data = os.urandom(1000) + b"S21.G00.30.001,'1850775123456'\n" * 90_000
    assert len(data) > 2 * CHUNK_SIZE
    path, wrapped = write(store, data)
    assert b"1850775123456" not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"".join(store.read(path, wrapped_key=wrapped)) == data


@pytest.mark.parametrize("damage", ["flip", "truncate", "swap"])
def test_damaged_files_are_detected(tmp_path: Path, keyring: Keyring, damage: str) -> None:
    store = BlobStore(tmp_path, keyring)
    path, wrapped = write(store, os.urandom(CHUNK_SIZE * 2 + 10))
    raw = bytearray(path.read_bytes())
    sealed = 4 + 12 + CHUNK_SIZE + 16  # one full chunk on disk
    header = len(b"DSNLBLOB1\n")
    if damage == "flip":
        raw[header + 100] ^= 1
    elif damage == "truncate":
        raw = raw[: header + 2 * sealed]  # drop the last chunk
    else:
        first, second = raw[header : header + sealed], raw[header + sealed : header + 2 * sealed]
        raw[header : header + 2 * sealed] = second + first
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptSecretError):
        b"".join(read_blob(path, wrapped_key=wrapped, keyring=keyring))


def test_rotation_rewraps_with_the_newest_key(tmp_path: Path) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    path, wrapped = write(BlobStore(tmp_path, Keyring.from_text(old_key)), b"payload")
    rewrapped = Keyring.from_text(f"{new_key},{old_key}").rotate(wrapped.encode()).decode()
    only_new = Keyring.from_text(new_key)
    assert b"".join(read_blob(path, wrapped_key=rewrapped, keyring=only_new)) == b"payload"
    with pytest.raises(CorruptSecretError):
        b"".join(read_blob(path, wrapped_key=wrapped, keyring=only_new))


def test_bad_or_missing_keys_are_refused_outside_development(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError):
        Keyring.from_text("not-a-key")
    production = Settings(environment="production", data_dir=tmp_path, secret_key="x" * 40)
    with pytest.raises(KeyConfigurationError):
        keyring_from_settings(production)
    with pytest.raises(KeyConfigurationError):
        signer_from_settings(production)
    with pytest.raises(KeyConfigurationError):
        signer_from_settings(production.model_copy(update={"receipt_signing_key": "nope"}))


def test_development_keys_are_generated_once_with_0600(tmp_path: Path) -> None:
    development = Settings(environment="development", data_dir=tmp_path / "data")
    first, again = signer_from_settings(development), signer_from_settings(development)
    assert first.key_id == again.key_id
    keyring_from_settings(development).encrypt(b"x")
    for path in (tmp_path / "data" / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_receipt_signature_covers_every_field() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signer = ReceiptSigner(Ed25519PrivateKey.generate())
    payload = {"declaration_id": "d", "sha256": "00", "guaranteed": True, "cutoff": None}
    receipt = signer.sign(payload)
    assert verify_receipt(
        dict(reversed(payload.items())), receipt.signature, signer.public_key_pem()
    )
    for key in payload:
        tampered = {**payload, key: "changed"}
        assert not verify_receipt(tampered, receipt.signature, signer.public_key_pem())
    assert not verify_receipt(payload, "not base64!", signer.public_key_pem())


def test_api_keys_are_hashed_with_the_server_secret() -> None:
    new = apikeys.generate_key(secret="s1")
    assert apikeys.parse_prefix(new.plaintext) == new.prefix
    assert new.plaintext not in new.hash
    assert apikeys.key_matches(new.plaintext, new.hash, secret="s1")
    assert not apikeys.key_matches(new.plaintext, new.hash, secret="s2")
    assert not apikeys.key_matches(new.plaintext + "x", new.hash, secret="s1")
    for malformed in ["", "dsnl_short_x", new.plaintext.replace("dsnl_", "abcd_"), "dsnl_" * 30]:
        assert apikeys.parse_prefix(malformed) is None


def test_a_key_secret_containing_underscores_is_parsed_whole() -> None:
    # The random part is URL-safe base64: `_` is one of its letters, even at the end.
    secret = "ab_cd" + "x" * 30 + "_c"
    parsed = apikeys.parse_key(f"dsnl_abcd1234_{secret}")
    assert parsed == apikeys.ParsedKey(prefix="abcd1234", secret=secret)
    new = apikeys.generate_key(secret="s1")
    parsed_new = apikeys.parse_key(new.plaintext)
    assert parsed_new is not None
    assert f"dsnl_{parsed_new.prefix}_{parsed_new.secret}" == new.plaintext
