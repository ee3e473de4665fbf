"""A small typed Python client for payroll publishers: upload, order, follow, verify.

It imports nothing else from `dsnlink` (only httpx and cryptography), so a publisher can vendor
this folder on its own::

    from dsnlink.client import DsnlinkClient, verify_webhook

    with DsnlinkClient("https://gateway.example", api_key="dsnl_...") as dsn:
        declaration = dsn.upload(open("oct.dsn", "rb").read(), transmit=True)
"""

from dsnlink.client.client import DsnlinkClient
from dsnlink.client.errors import ApiError, WebhookSignatureError
from dsnlink.client.models import Declaration, Receipt, Webhook
from dsnlink.client.verify import verify_receipt, verify_webhook

__all__ = [
    "ApiError",
    "Declaration",
    "DsnlinkClient",
    "Receipt",
    "Webhook",
    "WebhookSignatureError",
    "verify_receipt",
    "verify_webhook",
]
