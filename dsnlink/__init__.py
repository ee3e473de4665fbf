"""dsnlink: the domain core of the DSN transmission gateway (no HTTP in here)."""

__version__ = "0.1.0"
