"""Secrets at rest and signatures: master keys, encrypted files, API-key hashes, signed
receipts, and the rate limits that protect keys and sign-in."""
