"""`dsnlink keys ...`: master-key generation and rotation."""

from __future__ import annotations

import argparse

from dsnlink import db
from dsnlink.config import get_settings
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import generate_fernet_key, keyring_from_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("keys", help="encryption master keys")
    commands = parser.add_subparsers(dest="keys_command", metavar="ACTION")
    commands.required = True
    generate = commands.add_parser(
        "generate", help="print a new master key (put it first in DSNLINK_ENCRYPTION_KEYS)"
    )
    generate.set_defaults(func=run_generate)
    rotate = commands.add_parser(
        "rotate",
        help="re-encrypt passwords, file keys, webhook secrets and sealed personal data with the "
        "first key of DSNLINK_ENCRYPTION_KEYS",
    )
    rotate.set_defaults(func=run_rotate)


def run_generate(args: argparse.Namespace) -> int:
    print(generate_fernet_key())
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    # Imported here: the command line must start even where the norm tables are not needed.
    from dsnlink.declarations.idempotency import reseal_answers
    from dsnlink.declarations.tracking import reseal_personal_data, rewrap_file_keys
    from dsnlink.tenants.declarants import reencrypt_declarant_passwords
    from dsnlink.transmission.inbox import reseal_returns
    from dsnlink.webhooks.service import reseal_secrets

    settings = get_settings()
    keyring = keyring_from_settings(settings)
    blobs = BlobStore(settings.data_dir / "blobs", keyring)
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            passwords = reencrypt_declarant_passwords(session, keyring=keyring)
            files = rewrap_file_keys(session, blobs=blobs)
            sealed = reseal_personal_data(session, keyring=keyring)
            sealed += reseal_returns(session, keyring=keyring)
            sealed += reseal_answers(session, keyring=keyring)
            webhooks = reseal_secrets(session, keyring=keyring)
    finally:
        engine.dispose()
    print(
        f"re-encrypted {passwords} declarant password(s), {files} file key(s), {webhooks} "
        f"webhook secret(s) and {sealed} sealed personal data value(s) with the newest key; the "
        "older keys can now be removed from DSNLINK_ENCRYPTION_KEYS"
    )
    return 0
