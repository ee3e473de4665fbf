"""Errors of tenants, users, API keys and companies; branches of dsnlink.errors.

ForbiddenError
├── AuthenticationRequired        no API key, a malformed, unknown or revoked one
├── AdministratorRequired         the caller's role may not do this
├── ActingAsAnotherAdministrator  a key for, or the password of, another administrator
├── TenantNotActivated            nothing is transmitted before the tenant's first API key
└── ScopeRequired                 the API key lacks the scope this request needs
ConflictError
├── LastAdministrator             the tenant's last SaaS administrator cannot be removed
├── ExternalAdministratorExists   a tenant has at most one external administrator
├── AlreadyExists                 a tenant, user, company or establishment already registered
├── ApiKeyRevoked                 the key was already revoked
└── LastAdminKey                  the tenant's last administration key cannot be revoked
InputError
├── InvalidSiren                  a SIREN whose check digit is wrong
├── InvalidSiret                  a SIRET (SIREN + NIC) whose check digit is wrong
├── WeakPassword                  a dashboard password too short (or absurdly long)
└── CompanyScopeForAdministrator  administrators see every company: only users are restricted
LimitExceeded
└── TooManySignInAttempts         password or key guessing: sign-in attempts are throttled
"""

from __future__ import annotations

from dsnlink.errors import ConflictError, ForbiddenError, InputError, LimitExceeded


class AuthenticationRequired(ForbiddenError):
    code = "unauthenticated"


class AdministratorRequired(ForbiddenError):
    code = "administrator-required"


class ActingAsAnotherAdministrator(ForbiddenError):
    code = "acting-as-another-administrator"


class TenantNotActivated(ForbiddenError):
    code = "tenant-not-activated"


class LastAdministrator(ConflictError):
    code = "last-administrator"


class ExternalAdministratorExists(ConflictError):
    code = "external-administrator-exists"


class AlreadyExists(ConflictError):
    code = "already-exists"


class ApiKeyRevoked(ConflictError):
    code = "api-key-revoked"


class InvalidSiren(InputError):
    code = "invalid-siren"


class InvalidSiret(InputError):
    code = "invalid-siret"


class WeakPassword(InputError):
    code = "weak-password"


class CompanyScopeForAdministrator(InputError):
    code = "company-scope-for-administrator"


class TooManySignInAttempts(LimitExceeded):
    code = "too-many-sign-in-attempts"


class LastAdminKey(ConflictError):
    code = "last-admin-key"


class ScopeRequired(ForbiddenError):
    code = "scope-required"
