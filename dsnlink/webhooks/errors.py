"""Errors of webhooks; branches of dsnlink.errors.

InputError
└── InvalidWebhook        a URL or an event list the gateway cannot deliver to
NotFoundError
└── WebhookNotFound       no such endpoint for this tenant
"""

from __future__ import annotations

from dsnlink.errors import InputError, NotFoundError


class InvalidWebhook(InputError):
    code = "invalid-webhook"


class WebhookNotFound(NotFoundError):
    code = "webhook-not-found"
