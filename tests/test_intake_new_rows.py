"""Issue 11: questions that were asked at intake but ignored by the rules (retinoids,
laser, peels) now reach them, as do the new botulinum-toxin, immune and autoimmune
questions; earlier answers keep their question ids."""

from __future__ import annotations

import datetime as dt

from puncta import rules
from puncta.patients.intake import answers, definition

BORN = dt.date(1990, 4, 2)
TODAY = dt.date(2026, 11, 25)


def _screen(data):
    parsed, errors = answers.parse(data, born=BORN, today=TODAY)
    assert not errors
    patient, origin = answers.to_rules_patient(birth_date=BORN, phototype=None,
                                               answers=parsed, on=TODAY)
    return rules.screen(patient, on=TODAY), patient, origin


def test_every_medication_and_procedure_question_reaches_the_rules():
    for q in definition.questions().values():
        if q.kind in ("condition", "medication", "procedure"):
            assert q.rules_code, q.link_id
    assert definition.VERSION == "2026.2"


def test_retinoid_answer_is_a_rules_fact_under_its_old_id():
    q = definition.questions()["med.retinoid"]
    assert q.rules_code == "topical_retinoid" and "7" in q.en and "7" in q.fr
    decision, facts, origin = _screen({"med.retinoid.status": "current"})
    assert facts.medications == (rules.Medication("topical_retinoid"),)
    assert origin["patient.medications[0]"] == "med.retinoid"
    assert "contraindication.topical_retinoid" in decision.codes
    assert decision.verdict == "review"
    stopped, _, _ = _screen({"med.retinoid.status": "past",
                             "med.retinoid.last_dose": "2026-11-01"})
    assert stopped.verdict == "allow", stopped.codes


def test_laser_peel_and_toxin_answers_are_procedures_in_their_zone():
    decision, facts, origin = _screen({
        "proc.laser.zones": ["cheek"], "proc.laser.on": "2026-10-01",
        "proc.peel.zones": ["forehead"], "proc.peel.on": "2026-09-15",
        "proc.botulinum_toxin.zones": ["glabella"], "proc.botulinum_toxin.on": "2026-11-10",
        "proc.laser_non_ablative.zones": ["neck"], "proc.laser_non_ablative.on": "2026-11-20",
    })
    codes = {p.code: p.zone.code for p in facts.procedures if p.zone}
    assert codes == {"laser_ablative": "cheek", "chemical_peel_medium_deep": "forehead",
                     "botulinum_toxin": "glabella", "laser_non_ablative": "neck"}
    assert "proc.laser" in origin.values() and "proc.peel" in origin.values()
    for code in codes:
        assert f"contraindication.{code}" in decision.codes
    assert decision.verdict == "review"


def test_immune_and_autoimmune_questions():
    decision, _, _ = _screen({"cond.immunosuppression.present": "on",
                              "cond.autoimmune_disease.present": "on",
                              "med.immunosuppressant.status": "current"})
    assert {"contraindication.immunosuppression", "contraindication.autoimmune_disease",
            "contraindication.immunosuppressant"} <= set(decision.codes)
    assert decision.verdict == "review"
