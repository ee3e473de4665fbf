"""The deposit point as a library: client, wire errors and return documents; no database."""
