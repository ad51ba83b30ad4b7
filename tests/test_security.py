"""Security basics: hashing, lockout, session lifetime, CSP, caching, production config."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
from django.test import Client
from django.urls import reverse

from puncta.accounts.middleware import LOGIN_AT_KEY

from .conftest import client_for
from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2_outside_tests(personas, settings):
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    user = personas.physician.user
    user.set_password("a-new-long-password")
    assert isinstance(identify_hasher(user.password), Argon2PasswordHasher)


def test_login_page_signs_in_and_records_login(personas):
    client = Client()
    response = client.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert LOGIN_AT_KEY in client.session


def test_lockout_after_repeated_failures(personas):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "nurse", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content


def test_idle_limit_is_15_minutes_renewed_within_a_minute():
    # Behaviour (renewal, expiry after 15 idle minutes): tests/test_ops.py.
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_RENEW_SECONDS == 60


def test_absolute_session_limit_of_12_hours(personas):
    client = Client()
    client.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
    session = client.session
    session[LOGIN_AT_KEY] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_csp_forbids_inline_script(personas):
    response = client_for(personas.nurse).get(reverse("web:dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


def test_patient_pages_are_not_cached(personas, patient):
    response = client_for(personas.nurse).get(reverse("web:patient_detail", args=[patient.pk]))
    assert "no-store" in response["Cache-Control"]


def test_anonymous_is_sent_to_login(db):
    response = Client().get(reverse("web:patient_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_user_without_clinic_sees_nothing(db):
    from .factories import UserFactory

    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get(reverse("web:patient_list")).status_code == 302


def _settings_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='puncta.settings'; " \
           "from django.conf import settings; settings.SECRET_KEY"
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PUNCTA_MODE",
                          "PUNCTA_AUDIT_KEY", "PUNCTA_AUDIT_KEY_FILE"}}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_missing_secret_key():
    result = _settings_in_subprocess({"PUNCTA_MODE": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_names_each_insecure_setting():
    result = _settings_in_subprocess({
        "PUNCTA_MODE": "production", "SECRET_KEY": "short", "ALLOWED_HOSTS": "*",
        "PUNCTA_SECURE_COOKIES": "0",
    })
    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "PUNCTA_SECURE_COOKIES", "DATABASE_URL"):
        assert name in result.stderr


def test_production_accepts_a_secure_configuration(tmp_path):
    result = _settings_in_subprocess({
        "PUNCTA_MODE": "production",
        "SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
        "ALLOWED_HOSTS": "clinic.example.org", "DATABASE_URL": "postgres://u@db/puncta",
        "PUNCTA_DATA_DIR": str(tmp_path), "PUNCTA_AUDIT_KEY": "a" * 20 + "0123456789abcdefghij",
    })
    assert result.returncode == 0, result.stderr
