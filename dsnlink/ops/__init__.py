"""Operator commands that span the domain: database, keys, backups, retention, incidents."""
