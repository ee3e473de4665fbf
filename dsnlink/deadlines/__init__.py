"""When a DSN is due, and the cut-off before which the gateway guarantees to send it."""

from dsnlink.deadlines.service import DeadlineKind, Deadlines, compute_deadlines

__all__ = ["DeadlineKind", "Deadlines", "compute_deadlines"]
