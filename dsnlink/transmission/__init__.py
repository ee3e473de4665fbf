"""Transmission: the exactly-once deposit protocol, the returns inbox, the worker and its views."""
