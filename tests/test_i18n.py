"""Both official languages: the French catalogue is complete, compiled and used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from .conftest import client_for

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "puncta"
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = polib.pofile(str(PO))
    assert not po.metadata_is_fuzzy
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_source():
    po = {e.msgid: e.msgstr or e.msgstr_plural.get(0) for e in polib.pofile(str(PO))}
    mo = {e.msgid: e.msgstr or e.msgstr_plural.get(0) for e in polib.mofile(str(MO))}
    assert po == mo, "run: puncta compilemessages (from src/puncta)"


@pytest.mark.skipif(shutil.which("xgettext") is None and os.environ.get("CI") != "true",
                    reason="xgettext (GNU gettext) not installed")
def test_every_marked_string_is_in_the_french_catalogue(tmp_path):
    """Extract the strings from the code afresh: any not in the committed catalogue fails."""
    copy = tmp_path / "puncta"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "rules"))
    env = {**os.environ, "PUNCTA_MODE": "test", "PYTHONPATH": str(PACKAGE.parent)}
    subprocess.run([sys.executable, "-m", "puncta", "makemessages", "-l", "fr",
                    "--no-location", "--no-obsolete"], cwd=copy, env=env, check=True,
                   capture_output=True, timeout=120)
    extracted = polib.pofile(str(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in extracted if not (e.msgstr or any(e.msgstr_plural.values()))]
    assert missing == [], f"untranslated strings (add them to {PO.name}): {missing}"


@pytest.mark.django_db
def test_french_user_sees_french_pages(personas, patient):
    personas.nurse.user.language = "fr"
    personas.nurse.user.save()
    client = client_for(personas.nurse)
    html = client.get(reverse("web:patient_detail", args=[patient.pk])).content.decode()
    assert "Date de naissance" in html and "Se déconnecter" in html
    assert '<html lang="fr">' in html


@pytest.mark.django_db
def test_language_switch_is_remembered(personas):
    client = client_for(personas.nurse)
    client.post(reverse("web:set_language"), {"language": "fr", "next": "/patients/"})
    personas.nurse.user.refresh_from_db()
    assert personas.nurse.user.language == "fr"
    assert "Trouver un patient" in client.get(reverse("web:dashboard")).content.decode()


@pytest.mark.django_db
def test_language_switch_refuses_offsite_redirect(personas):
    client = client_for(personas.nurse)
    response = client.post(reverse("web:set_language"),
                           {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:dashboard")
