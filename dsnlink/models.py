"""The model registry: importing it makes SQLModel.metadata know every table of the schema.

It sits above the domain packages (Alembic's environment and the tests import it); `db.py` stays
a leaf that imports no package.
"""

from __future__ import annotations

from sqlmodel import SQLModel

import dsnlink.alerts.models
import dsnlink.declarations.models
import dsnlink.outbox.models
import dsnlink.security.models
import dsnlink.service_status.models
import dsnlink.support.models
import dsnlink.tenants.models
import dsnlink.transmission.models
import dsnlink.webhooks.models  # noqa: F401

metadata = SQLModel.metadata
