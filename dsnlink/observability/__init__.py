"""Observability: structured logs without personal data or secrets, metrics, health, rate limits.

Nothing here imports the HTTP framework: `api/` wires these pieces into the application.
"""
