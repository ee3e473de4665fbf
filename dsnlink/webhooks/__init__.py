"""Webhooks: a tenant's endpoints, the events they receive, signed deliveries and their attempts."""
