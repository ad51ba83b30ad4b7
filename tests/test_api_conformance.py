"""A bounded schemathesis run over every API operation: generated valid and invalid
requests (fixed seed, a few examples each), all of schemathesis' checks — no server
error, documented status codes and content types, responses matching their schemas,
invalid data refused, valid data accepted. Runs once per `make test` (SQLite pass)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from puncta.accounts.models import ApiToken

from .charting.conftest import session  # noqa: F401  (fixture)
from .scheduling.conftest import clinic_ready  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]

EXAMPLES = int(os.environ.get("PUNCTA_SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture
def wsgi_keeps_test_connection():
    """The WSGI handler closes the database connection after each request; the test's
    transaction lives on it, so do what Django's test client does: keep it open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def clinic_morning():
    """The records are made relative to "today": fix it (a clinic's Tuesday morning) so the
    run does not depend on when it runs; the clock ticks for expiry and throttles."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC), tick=True):
        yield


def test_every_operation_conforms(clinic_morning, personas, session,  # noqa: F811
                                  wsgi_keeps_test_connection, settings):
    # schemathesis sends bad tokens on purpose (ignored_auth): keep the failed-token limit
    # (a documented 429) from answering them instead of the 401 under test.
    settings.PUNCTA_TOKEN_FAILURE_RATE = (1_000_000, 300)
    _, raw = ApiToken.issue(personas.physician, "schemathesis")
    auth = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    # A schema-valid request may still be refused by a domain rule (a birth date in the
    # future, a booking outside its window): that is a documented 422 with a code.
    # Unknown query parameters are ignored, as HTTP APIs do: not generated as "invalid".
    schema.config.generation.allow_extra_parameters = False
    schema.config.checks.positive_data_acceptance.expected_statuses = [
        "2xx", "401", "403", "404", "409", "422"]
    patient = session["patient"]
    # Half the generated cases address real records, so 200 answers are checked too.
    ids = {"patient_id": patient.pk, "plan_id": session["plan"].pk,
           "appointment_id": session["appt"].pk, "lot_id": session["lot"].pk,
           "device_id": session["device"].pk,
           "consent_id": patient.consents.first().pk,
           "screening_id": patient.screenings.first().pk}
    failures: list[str] = []
    cases = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _runner(operation, mode, auth, failures, cases, ids)()
    cases = cases[0]
    print(f"schemathesis: {cases} cases, {len(failures)} failures")
    assert not failures, "\n\n".join(failures[:30])


def _runner(operation, mode, auth, failures, cases, ids):
    """Generated cases of one operation in one mode; failures collected, not raised."""

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        cases[0] += 1
        if mode is GenerationMode.POSITIVE and cases[0] % 2 and case.path_parameters:
            case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
        response = case.call(headers=auth)
        try:
            case.validate_response(response, headers=auth)
        except (Exception, BaseExceptionGroup) as exc:  # collected, then reported
            failures.append(f"{operation.label} [{mode.value}] "
                            f"{response.status_code}: {str(exc)[:600]}")

    return run
