"""Jurisdiction packs (CA, CA-ON, CA-QC, CA-BC, CA-AB, US and the US states whose
majority is not 18): they load, fall back, and carry the age of consent for an elective
cosmetic procedure, who consents for a minor, and the age of majority. Also the check-in."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import base, run
from puncta import rules
from puncta.rules import (
    RulesInputError,
    age_of_majority,
    checkin,
    consent_age,
    guardian_required,
    guardian_role,
    is_adult,
)
from puncta.rules.data import rules_data
from puncta.rules.jurisdictions import jurisdiction
from puncta.rules.parse import patient_from_dict

ON = date(2026, 11, 25)

# code -> (pack that answers, consent age, age of majority, guardian roles)
EXPECTED = {
    "CA": ("CA", 19, 19, ("parent", "legal_guardian")),
    "CA-ON": ("CA-ON", 18, 18, ("parent", "legal_guardian")),
    "CA-QC": ("CA-QC", 18, 18, ("parent", "tutor")),
    "CA-BC": ("CA-BC", 19, 19, ("parent", "legal_guardian")),
    "CA-AB": ("CA-AB", 18, 18, ("parent", "legal_guardian")),
    "CA-NS": ("CA-NS", 19, 19, ("parent", "legal_guardian")),
    "CA-MB": ("CA-MB", 18, 18, ("parent", "legal_guardian")),
    "CA-NB": ("CA-NB", 19, 19, ("parent", "legal_guardian")),
    "CA-YT": ("CA", 19, 19, ("parent", "legal_guardian")),  # falls back to CA
    "US": ("US", 18, 18, ("parent", "legal_guardian")),
    "US-TX": ("US", 18, 18, ("parent", "legal_guardian")),  # falls back to US
    "US-AL": ("US-AL", 19, 19, ("parent", "legal_guardian")),
    "US-NE": ("US-NE", 19, 19, ("parent", "legal_guardian")),
    "US-MS": ("US-MS", 21, 21, ("parent", "legal_guardian")),
}


@pytest.mark.parametrize("code", list(EXPECTED))
def test_pack_loads_and_falls_back(code: str) -> None:
    pack, age, majority, roles = EXPECTED[code]
    c = consent_age(code)
    assert c.jurisdiction == pack and c.age == age
    assert tuple(r.code for r in c.guardian_roles) == roles
    assert all(r.en and r.fr and r.en != r.fr for r in c.guardian_roles)
    assert c.note_en and c.note_fr and c.note_en != c.note_fr and c.source
    assert c.note("fr-ca") == c.note_fr and c.note("en") == c.note_en
    m = age_of_majority(code)
    assert (m.jurisdiction, m.age) == (pack, majority) and m.source
    j = jurisdiction(code)
    assert j.en and j.fr and j.authority in ("HC", "FDA") and j.min_device_class == 2


def test_quebec_and_bc_packs() -> None:
    qc, bc = jurisdiction("CA-QC"), jurisdiction("CA-BC")
    # Both inherit Health Canada licensing from CA and keep its source first.
    assert qc.authority == bc.authority == "HC"
    assert qc.source.startswith("Medical Devices Regulations") and "Medical Act" in qc.source
    assert "Health Professions Act" in bc.source and "dermis" in bc.source
    assert qc.note_en and qc.note_fr and bc.note_en and bc.note_fr
    # BC draws the line at the dermis (like ON and AB); Quebec does not.
    assert bc.below_dermis_controlled and not qc.below_dermis_controlled
    assert "including aesthetic procedures" in qc.source and "Piuze" in qc.source
    assert "[unverified]" in bc.source
    assert consent_age("CA-QC").minor_own_consent_age == 14
    assert "art" in consent_age("CA-QC").source and "17" in consent_age("CA-QC").source
    assert "Infants Act" in consent_age("CA-BC").source
    assert consent_age("CA-ON").minor_own_consent_age is None
    # Conservative readings are explained in both languages.
    for code in ("CA-QC", "CA-ON", "CA-BC", "CA-AB"):
        c = consent_age(code)
        assert "conservative" in c.note_en and "prudente" in c.note_fr


def test_every_pack_states_its_own_consent_source() -> None:
    packs = rules_data().jurisdictions
    for code, j in packs.items():
        if "-" in code:
            parent = packs[code.split("-")[0]]
            assert j.consent_age_source != parent.consent_age_source, code
            assert j.consent_age_note_en != parent.consent_age_note_en, code


@pytest.mark.parametrize("bad", ["", "ca", "Canada", 12, None, "CA-ONTARIO"])
def test_malformed_codes(bad: object) -> None:
    with pytest.raises(RulesInputError):
        consent_age(bad)
    with pytest.raises(RulesInputError):
        age_of_majority(bad)


def test_unknown_country() -> None:
    with pytest.raises(RulesInputError) as e:
        consent_age("FR")
    assert e.value.field == "jurisdiction"


@given(
    st.sampled_from(sorted(EXPECTED)),
    st.dates(date(1990, 1, 1), date(2026, 11, 25)),
)
def test_guardian_and_adult_follow_the_pack(code: str, born: date) -> None:
    age = ON.year - born.year - ((ON.month, ON.day) < (born.month, born.day))
    _, consent, majority, _ = EXPECTED[code]
    assert guardian_required(born, ON, code) == (age < consent)
    assert is_adult(born, ON, code) == (age >= majority)


def test_birthday_edges() -> None:
    # 19th birthday in BC: no guardian needed that day, one needed the day before.
    assert not guardian_required(date(2007, 11, 25), ON, "CA-BC")
    assert guardian_required(date(2007, 11, 26), ON, "CA-BC")
    assert guardian_required(date(2008, 11, 25), ON, "CA-BC")  # 18
    assert not guardian_required(date(2008, 11, 25), ON, "CA-ON")  # 18
    assert not is_adult(date(2008, 11, 25), ON, "CA-BC")
    assert is_adult(date(2008, 11, 25), ON, "CA-QC")
    with pytest.raises(RulesInputError):
        guardian_required(date(2027, 1, 1), ON, "CA")


def test_guardian_roles_per_jurisdiction() -> None:
    assert guardian_role("CA-QC", "tutor").fr.startswith("Tuteur")
    assert guardian_role("CA-BC", "legal_guardian").en == "Legal guardian"
    with pytest.raises(RulesInputError) as e:
        guardian_role("CA-BC", "tutor")  # a Quebec civil-law role
    assert e.value.field == "guardian_role" and "parent" in e.value.message
    with pytest.raises(RulesInputError):
        guardian_role("CA-QC", "aunt")


def test_screening_uses_the_jurisdictions_consent_age() -> None:
    eighteen = patient_from_dict({"birth_date": "2008-06-01"})
    # Default (no jurisdiction): 18, as before.
    assert "age.minor" not in rules.screen(eighteen, on=ON).codes
    assert "age.minor" not in rules.screen(eighteen, on=ON, jurisdiction="CA-ON").codes
    bc = rules.screen(eighteen, on=ON, jurisdiction="CA-BC")
    f = next(f for f in bc.findings if f.code == "age.minor")
    assert bc.verdict == "review" and "19" in f.message and "19" in f.message_fr
    assert "Infants Act" in f.source
    sixteen = patient_from_dict({"birth_date": "2010-03-01"})
    msg = next(f for f in rules.screen(sixteen, on=ON).findings if f.code == "age.minor")
    assert "under 18" in msg.message


def test_quebec_under_14_needs_a_court_so_it_is_refused() -> None:
    assert consent_age("CA-QC").court_authorization_below == 14
    assert consent_age("CA-BC").court_authorization_below is None
    thirteen = patient_from_dict({"birth_date": "2012-11-26"})
    qc = rules.screen(thirteen, on=ON, jurisdiction="CA-QC")
    f = next(f for f in qc.findings if f.code == "age.court_authorization")
    assert qc.verdict == "refuse" and f.severity == "refuse"
    assert "art. 18" in f.message and "art. 18" in f.message_fr and "art 18" in f.source
    assert "age.minor" in qc.codes  # the guardian finding is still there
    # 14th birthday: no court needed; a guardian still is (below 18).
    fourteen = patient_from_dict({"birth_date": "2012-11-25"})
    d = rules.screen(fourteen, on=ON, jurisdiction="CA-QC")
    assert "age.court_authorization" not in d.codes and d.verdict == "review"
    # Elsewhere a 13-year-old is a minor needing a guardian and review, not refused.
    assert rules.screen(thirteen, on=ON, jurisdiction="CA-ON").verdict == "review"
    assert rules.screen(thirteen, on=ON).verdict == "review"


def test_session_check_through_the_new_packs() -> None:
    assert run(base(jurisdiction="CA-QC")).verdict == "allow"
    bc = run(base(jurisdiction="CA-BC"))
    note = next(f for f in bc.findings if f.code == "jurisdiction.below_dermis")
    assert "British Columbia" in note.message and "Colombie-Britannique" in note.message_fr


def test_codes_list_the_new_packs() -> None:
    listed = {j["code"] for j in rules.codes()["jurisdictions"]}
    assert {"CA-QC", "CA-BC", "US-MS"} <= listed


# --- check-in ------------------------------------------------------------------------


def test_checkin_delay_and_text() -> None:
    general = checkin()
    assert general.after_hours == 48 and general.downtime is None
    assert "{name}" in general.body_en and "{where}" in general.body_fr
    assert general.subject("fr") != general.subject("en")
    deep = checkin(2.0)
    assert deep.downtime is not None and (deep.downtime.min_days, deep.downtime.max_days) == (6, 7)
    assert "6 to 7 days" in deep.body_en and "6 à 7 jours" in deep.body_fr
    text = deep.body("fr", name="Hélène", when="2026-11-25 10:00", where="Clinique, Salle 1")
    assert text.startswith("Bonjour Hélène") and "{" not in text
    assert "derived" in deep.source


@given(st.floats(min_value=0.01, max_value=5.0, allow_nan=False))
def test_checkin_days_follow_downtime(depth: float) -> None:
    c = checkin(depth)
    d = rules.downtime(depth)
    assert c.downtime == d and f"{d.min_days} to {d.max_days} days" in c.body_en


@pytest.mark.parametrize("bad", [0, -1, 5.1, float("nan")])
def test_checkin_bad_depth(bad: float) -> None:
    with pytest.raises(RulesInputError):
        checkin(bad)
