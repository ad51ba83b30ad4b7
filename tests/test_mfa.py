"""Two-step sign-in (TOTP with django-otp): enrolment, the code at sign-in, recovery
codes, required roles, the administrator's reset, and axes lockout still working."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from puncta.accounts import mfa
from puncta.audit.models import AuditEvent

from .conftest import client_for

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passw0rd!"


def code_for(device: TOTPDevice, step_offset: int = 0) -> str:
    """The code of the device's current time step (or the next one, never replayed)."""
    device.refresh_from_db()
    import time

    t = int((time.time() - device.t0) // device.step) + device.drift + step_offset
    t = max(t, device.last_t + 1)
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


def signed_in(membership) -> Client:  # type: ignore[no-untyped-def]
    user = membership.user
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.content
    return client


def enrol(client: Client, user) -> tuple[TOTPDevice, list[str]]:  # type: ignore[no-untyped-def]
    page = client.get("/account/mfa/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert mfa.manual_key(device).replace(" ", "") in page.content.decode().replace(" ", "")
    assert "<svg" in page.content.decode()
    r = client.post("/account/mfa/", {"code": code_for(device)})
    assert r.status_code == 200, r.content.decode()[:500]
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == mfa.RECOVERY_CODES
    for c in codes:
        assert c in r.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def test_not_required_in_test_mode_signs_in_with_password(personas):
    client = signed_in(personas.physician)
    assert client.get("/").status_code == 200


def test_required_role_must_enrol_before_any_page(personas, settings):
    settings.PUNCTA_MFA_REQUIRED_ROLES = ["physician"]
    client = signed_in(personas.physician)
    r = client.get("/patients/")
    assert r.status_code == 302 and r["Location"].startswith("/account/mfa/?next=")
    # Roles not listed are not asked.
    assert signed_in(personas.nurse).get("/patients/").status_code == 200
    enrol(client, personas.physician.user)
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(object_type="accounts.user", action="update",
                                     data__enrolled=True).exists()


def test_sign_in_asks_the_code_and_refuses_a_wrong_one(personas):
    client = signed_in(personas.nurse)
    device, _ = enrol(client, personas.nurse.user)
    client.post("/logout/")
    client = signed_in(personas.nurse)
    r = client.get("/patients/")
    assert r.status_code == 302 and r["Location"].startswith("/account/mfa/verify/")
    # Also for htmx requests (a redirect header, not a page inside a fragment).
    r = client.get("/patients/", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r["HX-Redirect"].startswith("/account/mfa/verify/")
    form = client.get("/account/mfa/verify/").content.decode()
    assert 'aria-label="Main"' not in form  # no menu before the second step
    bad = client.post("/account/mfa/verify/", {"code": "000000", "next": "/patients/"})
    assert bad.status_code == 400 and "not right" in bad.content.decode()
    assert client.get("/patients/").status_code == 302
    device.refresh_from_db()
    device.throttle_reset()
    ok = client.post("/account/mfa/verify/", {"code": code_for(device, 1),
                                              "next": "/patients/"})
    assert ok.status_code == 302 and ok["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    events = AuditEvent.objects.filter(object_type="accounts.user", data__mfa=True)
    assert {"login", "login_failed"} <= set(events.values_list("action", flat=True))


def test_recovery_code_signs_in_once(personas):
    client = signed_in(personas.nurse)
    _, codes = enrol(client, personas.nurse.user)
    client.post("/logout/")
    client = signed_in(personas.nurse)
    r = client.post("/account/mfa/verify/", {"code": codes[0], "next": "/"})
    assert r.status_code == 302
    assert mfa.recovery_codes_left(personas.nurse.user) == mfa.RECOVERY_CODES - 1
    client.post("/logout/")
    client = signed_in(personas.nurse)
    assert client.post("/account/mfa/verify/", {"code": codes[0]}).status_code == 400


def test_open_redirect_refused(personas):
    client = signed_in(personas.nurse)
    device, _ = enrol(client, personas.nurse.user)
    client.post("/logout/")
    client = signed_in(personas.nurse)
    r = client.post("/account/mfa/verify/", {"code": code_for(device, 1),
                                             "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"


def test_admin_resets_a_member(personas):
    nurse_client = signed_in(personas.nurse)
    enrol(nurse_client, personas.nurse.user)
    admin = client_for(personas.clinic_admin)
    page = admin.get("/account/mfa/reset/")
    assert page.status_code == 200 and personas.nurse.user.username in page.content.decode()
    r = admin.post("/account/mfa/reset/", {"member": personas.nurse.pk})
    assert r.status_code == 302
    assert not mfa.has_mfa(personas.nurse.user)
    assert AuditEvent.objects.filter(object_type="accounts.user", action="delete",
                                     object_id=str(personas.nurse.user.pk)).exists()
    # Only the administrator, and only members of their own clinic.
    assert client_for(personas.physician).get("/account/mfa/reset/").status_code == 403
    assert admin.post("/account/mfa/reset/",
                      {"member": personas.other_clinic_user.pk}).status_code == 403


def test_unverified_admin_cannot_reach_reset(personas):
    client = signed_in(personas.clinic_admin)
    enrol(client, personas.clinic_admin.user)
    client.post("/logout/")
    client = signed_in(personas.clinic_admin)
    assert client.get("/account/mfa/reset/").status_code == 302


def test_cli_reset_and_status(personas, capsys):
    client = signed_in(personas.nurse)
    enrol(client, personas.nurse.user)
    call_command("mfa", "status")
    assert "nurse" in capsys.readouterr().out
    call_command("mfa", "reset", personas.nurse.user.username)
    assert "reset" in capsys.readouterr().out
    assert not mfa.has_mfa(personas.nurse.user)


def test_production_default_requires_physicians_and_admins(settings):
    settings.PUNCTA_MFA_REQUIRED_ROLES = None
    settings.PRODUCTION = True
    assert mfa.required_roles() == {"physician", "clinic_admin"}
    settings.PRODUCTION = False
    assert mfa.required_roles() == frozenset()


def test_axes_lockout_still_works(personas, settings):
    user = personas.nurse.user
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": user.username, "password": "wrong"})
    locked = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert locked.status_code in (403, 429)


def test_unknown_required_role_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PUNCTA_MFA_REQUIRED_ROLES = ["physican"]
    with pytest.raises(ImproperlyConfigured, match="physican"):
        mfa.required_roles()


def test_bad_mfa_roles_env_stops_the_cli_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "puncta", "audit", "verify"], capture_output=True, text=True,
        timeout=120, env={**os.environ, "PUNCTA_MFA_REQUIRED_ROLES": "wizard",
                          "PUNCTA_MODE": "dev", "PUNCTA_DATA_DIR": str(tmp_path),
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "PUNCTA_MFA_REQUIRED_ROLES" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
