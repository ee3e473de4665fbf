"""Alembic migrations, shipped inside the package so `dsnlink db upgrade` works when installed."""
