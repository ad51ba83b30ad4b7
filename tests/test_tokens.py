"""API tokens: expiry, revocation from the CLI, last use, audited issue and revoke; rate
limits on failed token attempts and on the public intake link."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from puncta.accounts.models import ApiToken, RateCounter
from puncta.accounts.ratelimit import Limit, hit
from puncta.audit.models import AuditEvent
from puncta.patients.intake import services as intake_services

from .scheduling.conftest import actor_of

pytestmark = pytest.mark.django_db


def _create(capsys, personas, *extra: str) -> str:
    capsys.readouterr()
    call_command("token", "create", personas.nurse.user.username, "--clinic",
                 str(personas.clinic.pk), *extra)
    return capsys.readouterr().out.strip()


def _get(raw: str, path: str = "/api/v1/patients"):
    return Client().get(path, headers={"Authorization": f"Bearer {raw}"})


def test_token_expires_after_its_days(personas, capsys, monkeypatch):
    raw = _create(capsys, personas, "--days", "2")
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == pytest.approx(dt.timedelta(days=2),
                                                               abs=dt.timedelta(seconds=5))
    assert _get(raw).status_code == 200
    later = timezone.now() + dt.timedelta(days=2, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _get(raw).status_code == 401


def test_default_lifetime_is_90_days(personas, capsys):
    _create(capsys, personas)
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == pytest.approx(dt.timedelta(days=90),
                                                               abs=dt.timedelta(seconds=5))


def test_days_out_of_range_is_refused(personas, capsys):
    with pytest.raises(CommandError, match="--days"):
        _create(capsys, personas, "--days", "0")
    assert not ApiToken.objects.exists()


def test_issue_and_revoke_are_audited_and_revoked_token_refused(personas, capsys):
    raw = _create(capsys, personas)
    token = ApiToken.objects.get()
    issued = AuditEvent.objects.get(object_type="accounts.apitoken", action="create")
    assert issued.object_id == str(token.pk) and issued.clinic_id == personas.clinic.pk
    assert raw not in json.dumps(issued.data)  # the secret never reaches the log
    assert _get(raw).status_code == 200
    call_command("token", "revoke", str(token.pk), "--reason", "laptop lost")
    assert _get(raw).status_code == 401
    revoked = AuditEvent.objects.get(object_type="accounts.apitoken", action="delete")
    assert revoked.reason == "laptop lost" and revoked.object_id == str(token.pk)
    # Revoking again changes nothing and writes nothing.
    call_command("token", "revoke", str(token.pk))
    assert AuditEvent.objects.filter(object_type="accounts.apitoken").count() == 2


def test_revoke_all_of_a_user(personas, capsys):
    first, second = _create(capsys, personas), _create(capsys, personas)
    call_command("token", "revoke", "--user", personas.nurse.user.username)
    assert "revoked 2" in capsys.readouterr().out
    assert _get(first).status_code == 401 and _get(second).status_code == 401


@pytest.mark.parametrize("args, message", [
    (["revoke"], "TOKEN_ID or --user"),
    (["revoke", "abc"], "not a token id"),
    (["revoke", "999"], "no token with id 999"),
    (["revoke", "--user", "nobody"], "no tokens for user"),
    (["create"], "USERNAME"),
    (["create", "nurse", "--clinic", "x"], "--clinic"),
])
def test_token_command_errors(personas, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("token", *args)


def test_list_shows_state_expiry_and_last_use(personas, capsys):
    raw = _create(capsys, personas)
    _create(capsys, personas)
    call_command("token", "revoke", str(ApiToken.objects.order_by("id").last().pk))
    _get(raw)
    capsys.readouterr()
    call_command("token", "list", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert [r["state"] for r in rows] == ["active", "revoked"]
    assert rows[0]["last_used_at"] is not None and rows[1]["last_used_at"] is None
    assert rows[0]["user"] == personas.nurse.user.username
    call_command("token", "list")
    text = capsys.readouterr().out
    assert "active" in text and "revoked" in text and "never used" in text


def test_last_used_is_written_at_most_once_a_minute(personas, capsys, monkeypatch):
    raw = _create(capsys, personas)
    t0 = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: t0)
    _get(raw)
    token = ApiToken.objects.get()
    assert token.last_used_at == t0
    monkeypatch.setattr(timezone, "now", lambda: t0 + dt.timedelta(seconds=30))
    _get(raw)
    token.refresh_from_db()
    assert token.last_used_at == t0
    monkeypatch.setattr(timezone, "now", lambda: t0 + dt.timedelta(seconds=61))
    _get(raw)
    token.refresh_from_db()
    assert token.last_used_at == t0 + dt.timedelta(seconds=61)


def test_failed_token_attempts_are_limited_with_json_429(personas, settings, capsys):
    settings.PUNCTA_TOKEN_FAILURE_RATE = (3, 300)
    raw = _create(capsys, personas)
    for _ in range(3):
        assert _get("pct_wrong").status_code == 401
    blocked = _get("pct_wrong")
    assert blocked.status_code == 429
    assert blocked["Content-Type"].startswith("application/json")
    assert "Too many failed token attempts" in blocked.json()["message"]
    # A valid token is not blocked by someone else's guessing.
    assert _get(raw).status_code == 200


def test_rate_counter_windows():
    limit = Limit("t", 2, 60)
    assert hit(limit, "a", now=1000.0) and hit(limit, "a", now=1001.0)
    assert not hit(limit, "a", now=1002.0)
    assert hit(limit, "b", now=1002.0)  # per client
    assert hit(limit, "a", now=1020.0 + 60)  # a new window
    hit(limit, "a", now=1000.0 + 7200)  # a new window, long after: old rows forgotten
    assert not RateCounter.objects.filter(window__lt=7200 + 1000 - 3600).exists()


def test_public_intake_link_is_rate_limited(personas, patient, settings):
    settings.PUNCTA_INTAKE_RATE = (3, 60)
    _, raw = intake_services.intake_link_create(actor=actor_of(personas.nurse),
                                                patient=patient)
    client = Client()
    for _ in range(3):
        assert client.get(f"/intake/{raw}/").status_code == 200
    blocked = client.get(f"/intake/{raw}/")
    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert "Too many requests" in blocked.content.decode()
    assert patient.family_name not in blocked.content.decode()


def test_guessing_intake_links_is_rate_limited(personas, patient, settings):
    settings.PUNCTA_INTAKE_BAD_LINK_RATE = (2, 900)
    _, raw = intake_services.intake_link_create(actor=actor_of(personas.nurse),
                                                patient=patient)
    client = Client()
    assert client.get("/intake/guess-1/").status_code == 410
    assert client.get("/intake/guess-2/").status_code == 410
    assert client.get("/intake/guess-3/").status_code == 429
    # Past the limit even a real link waits: guessing cannot continue by luck.
    assert client.get(f"/intake/{raw}/").status_code == 429
    assert client.get("/intake/x/", REMOTE_ADDR="10.0.0.9").status_code == 410


def test_find_active_builds_what_the_orm_would(personas):
    """The token lookup is written in SQL (it runs on every API request): the instances
    it returns carry the same values, with the same types, as the ORM's."""
    token, raw = ApiToken.issue(personas.nurse, "t")
    token.touch()
    found = ApiToken.objects.find_active(raw)
    orm = ApiToken.objects.select_related("membership__user", "membership__clinic").get(
        pk=token.pk)
    for a, b in ((found, orm), (found.membership, orm.membership),
                 (found.membership.user, orm.membership.user),
                 (found.membership.clinic, orm.membership.clinic)):
        fields = [f.attname for f in type(b)._meta.concrete_fields]
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert [type(getattr(a, f)) for f in fields] == [type(getattr(b, f)) for f in fields]
    assert found.expires_at.tzinfo is not None and found.membership.is_active is True
    assert ApiToken.objects.find_active(raw + "x") is None
    token.revoke()
    assert ApiToken.objects.find_active(raw) is None
