"""Schemathesis against the OpenAPI document, on a live server: for every operation, generated
requests get no server error and responses that match the document (status, type, schema)."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from statuspage.extensions import limiter

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 30


def calling(checks, headers):
    def call(case):
        case.call_and_validate(headers=headers, checks=checks)

    return call


def test_every_operation_answers_within_its_document(live_server, tokens, livedns):
    """(schemathesis's own pytest plugin does not run under pytest 9: the operations are
    driven here, each with its Hypothesis strategy)."""
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    limiter.enabled = False
    tried = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()

            for mode, checks in (
                (GenerationMode.POSITIVE, CHECKS),
                (GenerationMode.NEGATIVE, CHECKS),  # invalid data: refused, never a 500
            ):
                run = given(case=operation.as_strategy(generation_mode=mode))(
                    calling(checks, headers)
                )
                settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )(run)()
            tried += 1
    finally:
        limiter.enabled = True
    assert tried >= 14
