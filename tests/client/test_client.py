"""The publishers' client against the gateway served by uvicorn on loopback: upload, order,
follow, webhook verification, receipt verification; it imports nothing else from dsnlink."""

from __future__ import annotations

import ast
import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from benchmarks.harness import serve
from dsnlink.client import (
    ApiError,
    DsnlinkClient,
    WebhookSignatureError,
    verify_webhook,
)
from dsnlink.clock import FrozenClock
from dsnlink.webhooks import dispatcher
from tests.api.dsn_files import NIC_A, dsn
from tests.webhooks.conftest import Receiver

CLIENT = Path(__file__).resolve().parents[2] / "dsnlink" / "client"


@pytest.fixture
def gateway_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


def deliver(app: FastAPI) -> int:
    rt = app.state.runtime
    return dispatcher.run_once(rt.sessions, clock=rt.clock, keyring=rt.keyring)


def test_the_client_imports_nothing_else_from_dsnlink() -> None:
    for path in CLIENT.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith("dsnlink") or name.startswith("dsnlink.client"), (
                    path.name,
                    name,
                )


async def test_upload_order_follow_and_verify(
    app: FastAPI,
    gateway_url: str,
    tenant_a: Any,
    company_a: dict[str, Any],
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    def publisher() -> None:
        with DsnlinkClient(gateway_url, tenant_a.api_key) as client:
            hook = client.create_webhook(receiver.url)
            assert hook.secret and hook.enabled
            since = clock.now() - timedelta(seconds=1)

            first = client.upload(dsn(), filename="oct.dsn", idempotency_key="run-1")
            again = client.upload(dsn(), filename="oct.dsn", idempotency_key="run-1")
            assert first.status == "validated" and first.siret.endswith(NIC_A)
            assert again.id == first.id and again.replayed and not first.replayed
            with pytest.raises(ApiError) as refused:
                client.upload(dsn(seed=1))
            assert refused.value.status == 409
            assert refused.value.code == "declaration-already-filed"
            assert refused.value.title == "Déclaration déjà déposée pour ce mois"

            compressed = client.upload(dsn(month="2026-11"), compress=True)
            clock.advance(timedelta(seconds=1))  # the order is the newest change
            ordered = client.order(first.id)
            assert ordered.status == "ordered"
            followed = list(client.follow(updated_since=since, page_size=1))
            assert {d.id for d in followed} == {first.id, compressed.id}
            assert followed[-1].id == first.id  # its last change (the order) is the newest

            receipt = client.receipt(first.id)
            assert receipt.payload["sha256"] == first.sha256
            assert client.verify(receipt)
            tampered = type(receipt)(
                {**receipt.payload, "guaranteed": False}, receipt.signature, receipt.key_id
            )
            assert not client.verify(tampered)
            assert client.download(compressed.id) == dsn(month="2026-11")

            deliver(app)
            deadline = time.monotonic() + 5
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            assert receiver.requests
            for request in receiver.requests:
                event = verify_webhook(
                    hook.secret,
                    request.headers["DSNLink-Signature"],
                    request.body,
                    now=clock.now().timestamp(),
                )
                assert event["type"] == "declaration.status_changed"
            statuses = [
                verify_webhook(
                    hook.secret,
                    r.headers["DSNLink-Signature"],
                    r.body,
                    now=clock.now().timestamp(),
                )["data"]["status"]
                for r in receiver.requests
            ]
            assert "ordered" in statuses
            request = receiver.requests[0]
            with pytest.raises(WebhookSignatureError):
                verify_webhook(
                    hook.secret,
                    request.headers["DSNLink-Signature"],
                    request.body + b" ",
                    now=clock.now().timestamp(),
                )
            with pytest.raises(WebhookSignatureError):
                verify_webhook(
                    hook.secret,
                    request.headers["DSNLink-Signature"],
                    request.body,
                    now=clock.now().timestamp() + 3600,
                )
            with pytest.raises(WebhookSignatureError):
                verify_webhook(
                    "whsec_wrong",
                    request.headers["DSNLink-Signature"],
                    request.body,
                    now=clock.now().timestamp(),
                )
            client.delete_webhook(hook.id)
            assert client.webhooks() == []

    await asyncio.to_thread(publisher)
