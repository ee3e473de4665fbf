"""`/_dev/clock`: read, set or reset the gateway's sandbox clock (development and demo only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.deps import PrincipalDep, Runtime, RuntimeDep
from api.dev_clock import DevClockRefused, SandboxClock
from api.errors import responses
from dsnlink.tenants.service import require_admin

router = APIRouter(tags=["sandbox"])


class ClockSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime = Field(
        description="the gateway's new current time (it keeps running from there)",
        examples=["2026-11-04T17:30:00+01:00"],
    )

    @field_validator("at")
    @classmethod
    def _plausible(cls, at: datetime) -> datetime:
        if not 2000 <= at.year <= 2100:
            raise ValueError("the sandbox clock takes a time between 2000 and 2100")
        return at


class ClockRead(BaseModel):
    now: datetime = Field(description="the gateway's current time (UTC)")
    offset_seconds: float = Field(description="how far it is from the real time")
    settable: bool


def _sandbox(runtime: Runtime) -> SandboxClock:
    if not runtime.settings.is_development or not isinstance(runtime.clock, SandboxClock):
        raise DevClockRefused(
            f"the gateway's clock can only be set in development or demo, not in the "
            f"{runtime.settings.environment} environment",
            environment=runtime.settings.environment,
        )
    return runtime.clock


def _read(clock: SandboxClock) -> ClockRead:
    return ClockRead(now=clock.now(), offset_seconds=clock.offset.total_seconds(), settable=True)


@router.get(
    "/_dev/clock",
    summary="The sandbox clock (development and demo only)",
    responses=responses(403),
)
def read_clock(runtime: RuntimeDep, principal: PrincipalDep) -> ClockRead:
    return _read(_sandbox(runtime))


@router.post(
    "/_dev/clock",
    summary="Set the gateway's time (development and demo only; administrators)",
    description="Every rule that reads the time (cut-off, deadlines, A&R limit, key expiry, "
    "webhook back-off in this process) sees the new time. The transmission worker, a separate "
    "process, keeps real time. Refused (403) outside development.",
    responses=responses(403),
)
def set_clock(body: ClockSet, runtime: RuntimeDep, principal: PrincipalDep) -> ClockRead:
    clock = _sandbox(runtime)
    require_admin(principal)
    clock.set(body.at)
    return _read(clock)


@router.delete(
    "/_dev/clock",
    summary="Back to real time (development and demo only; administrators)",
    responses=responses(403),
)
def reset_clock(runtime: RuntimeDep, principal: PrincipalDep) -> ClockRead:
    clock = _sandbox(runtime)
    require_admin(principal)
    clock.reset()
    return _read(clock)
