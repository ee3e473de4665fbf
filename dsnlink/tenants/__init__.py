"""Tenants (clients), their users and API keys, companies, establishments and declarants."""
