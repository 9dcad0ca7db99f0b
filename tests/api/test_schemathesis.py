"""Property-based run of every operation in /api/schema/ against the app itself.

Schemathesis generates valid and invalid requests from the OpenAPI schema and checks
that none gets a server error and that every answer matches the schema (status code,
content type, body, headers). One test per operation, bounded in examples so the whole
run stays short.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import Scope
from api.services import api_client_create
from escalations.models import Escalation
from tests import factories as f
from tracing.wsgi import application
from work.escalation import item_escalate

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Generating the schema touches no table, so it loads when the module is collected.
# (schemathesis.pytest.from_fixture would defer it, but fails under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(db) -> str:
    """A client with every scope, and some work for it to find.

    Requests go straight into the WSGI app, so, as Django's test client does, the
    start or end of a request must not close the connection holding the test's
    transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    case = f.CaseFactory()
    contact = f.ContactFactory(case=case)
    f.CallAttemptFactory(contact=contact)
    item_escalate(item=f.ContactFactory(), reason=Escalation.Reason.UNREACHED)
    _, token = api_client_create(
        name="Schemathesis", scopes=list(Scope.values), rate_limit_per_minute=10**6
    )
    yield token
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_and_always_matches_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
