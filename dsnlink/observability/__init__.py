"""Observability: Prometheus metrics computed from the database, liveness and readiness checks.

Nothing here imports the HTTP framework: `api/` wires these pieces into the application.
"""
