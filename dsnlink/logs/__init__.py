"""Structured logs: context fields, redaction of secrets and personal data."""
