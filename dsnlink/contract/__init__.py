"""The service contract (SLA model): offerings catalogue, calendars, availability, support."""
