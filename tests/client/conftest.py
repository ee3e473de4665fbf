"""The API and webhook-receiver fixtures, shared with tests/api and tests/webhooks."""

from tests.api.conftest import (  # noqa: F401  (fixtures)
    app,
    client,
    company_a,
    make_tenant,
    register_company,
    tenant_a,
)
from tests.webhooks.conftest import receiver  # noqa: F401  (fixture)
