"""Secrets at rest and signatures: master keys, encrypted files, API-key hashes, signed receipts."""
