"""The intake questionnaire, version by version.

Contraindication questions are built from the rules engine's codes, so the questionnaire
asks exactly what the screening rules need, in English and French. Questions the rules
do not use (goals, skin type) are kept as structured answers for the clinician. Changing
a question means a new version: answered versions never change. 2026.2: retinoids, laser,
peels, botulinum toxin, immune and autoimmune questions go to the rules (issue 11); the
retinoid, laser and peel questions keep their ids so earlier answers still reach them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from puncta import rules

VERSION = "2026.2"


@dataclass(frozen=True)
class Question:
    link_id: str
    kind: str  # multi | text | phototype | bool | condition | medication | procedure
    en: str
    fr: str
    rules_code: str = ""  # code handed to the rules engine ("" = informational only)
    area: bool = False  # asks which zone (area-bound conditions and procedures)
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, en, fr)


@dataclass(frozen=True)
class Section:
    key: str
    en: str
    fr: str
    questions: tuple[Question, ...] = field(default_factory=tuple)


CONCERNS = (
    ("fine_lines", "Fine lines", "Ridules"),
    ("wrinkles", "Wrinkles", "Rides"),
    ("tone", "Uneven tone", "Teint irrégulier"),
    ("texture", "Texture", "Texture"),
    ("acne_scars", "Acne scars", "Cicatrices d'acné"),
    ("other_scars", "Other scars", "Autres cicatrices"),
    ("stretch_marks", "Stretch marks", "Vergetures"),
    ("pigmentation", "Pigmentation", "Pigmentation"),
)

PHOTOTYPES = (
    ("1", "I — always burns, never tans", "I — brûle toujours, ne bronze jamais"),
    ("2", "II — usually burns, tans a little", "II — brûle habituellement, bronze peu"),
    ("3", "III — sometimes burns, tans evenly", "III — brûle parfois, bronze uniformément"),
    ("4", "IV — rarely burns, tans well", "IV — brûle peu, bronze bien"),
    ("5", "V — very rarely burns, tans easily", "V — brûle très rarement, bronze facilement"),
    ("6", "VI — never burns", "VI — ne brûle jamais"),
)

# Which rules codes go in which section (the rest of the wording comes from the rules).
SKIN_HISTORY = ("herpes_simplex_history", "keloid_history")
ALLERGIES = ("stainless_steel_allergy", "anaesthetic_allergy", "paba_allergy",
             "sulphonamide_allergy")
SYSTEMIC = ("bleeding_disorder", "uncontrolled_diabetes", "systemic_infection", "scleroderma",
            "autoimmune_disease", "immunosuppression", "poor_wound_healing", "liver_disease",
            "pseudocholinesterase_deficiency", "methaemoglobinaemia")
AREA = ("skin_cancer", "open_wound", "active_infection", "active_herpes", "warts", "eczema",
        "psoriasis", "chronic_skin_condition", "recent_scar", "recent_stretch_marks",
        "active_acne", "rosacea", "solar_keratosis", "moles", "facial_trauma")
MEDICATIONS = ("isotretinoin", "anticoagulant", "high_dose_corticosteroid", "chemotherapy",
               "immunosuppressant", "antiarrhythmic")
PROCEDURES = ("filler", "surgery", "botulinum_toxin", "laser_ablative", "laser_non_ablative",
              "chemical_peel_medium_deep")
# Questions asked under an id older than their rules code: answers given before the
# questions reached the rules keep their meaning (an unspecified laser counts as
# ablative and a peel as medium or deep: the longer window, the conservative reading).
LEGACY_IDS = {"topical_retinoid": "med.retinoid", "laser_ablative": "proc.laser",
              "chemical_peel_medium_deep": "proc.peel"}


@cache
def _codes() -> dict[str, dict[str, Any]]:
    c = rules.codes()
    return {row["code"]: row for kind in ("conditions", "medications", "procedures")
            for row in c[kind]}


@cache
def zones() -> tuple[tuple[str, str, str], ...]:
    return tuple((z["code"], z["en"], z["fr"]) for z in rules.codes()["zones"]
                 if not z["orbital_rim"])


def _rules_q(kind: str, code: str, area: bool = False) -> Question:
    row = _codes()[code]
    prefix = {"condition": "cond", "medication": "med", "procedure": "proc"}[kind]
    link_id = LEGACY_IDS.get(code, f"{prefix}.{code}")
    return Question(link_id, kind, row["en"], row["fr"], rules_code=code,
                    area=area and row["scope"] == "area")


@cache
def sections() -> tuple[Section, ...]:
    return (
        Section("concerns", "Concerns and goals", "Préoccupations et objectifs", (
            Question("concerns", "multi", "What would you like to improve?",
                     "Qu'aimeriez-vous améliorer?", choices=CONCERNS),
            Question("goals", "text", "Your goals, in your own words",
                     "Vos objectifs, dans vos mots"),
        )),
        Section("skin", "Your skin", "Votre peau", (
            Question("phototype", "phototype",
                     "How does your skin react to the sun? (Fitzpatrick type)",
                     "Comment votre peau réagit-elle au soleil? (type de Fitzpatrick)",
                     choices=PHOTOTYPES),
            Question("skin_thin", "bool", "Is your skin thin?", "Avez-vous la peau mince?"),
            Question("skin_sensitive", "bool", "Is your skin sensitive?",
                     "Avez-vous la peau sensible?"),
            *(_rules_q("condition", c) for c in SKIN_HISTORY),
        )),
        Section("pregnancy", "Pregnancy and breastfeeding", "Grossesse et allaitement", (
            Question("pregnant", "bool", "Are you pregnant or could you be?",
                     "Êtes-vous enceinte ou pourriez-vous l'être?", rules_code="pregnancy"),
            Question("nursing", "bool", "Are you breastfeeding?", "Allaitez-vous?",
                     rules_code="nursing"),
        )),
        Section("medications", "Medications", "Médicaments", (
            *(_rules_q("medication", m) for m in MEDICATIONS),
            _rules_q("medication", "topical_retinoid"),
            _rules_q("procedure", "radiotherapy"),
        )),
        Section("allergies", "Allergies", "Allergies",
                tuple(_rules_q("condition", c) for c in ALLERGIES)),
        Section("history", "Medical history", "Antécédents médicaux",
                tuple(_rules_q("condition", c) for c in SYSTEMIC)),
        Section("skin_today", "Your skin today", "Votre peau aujourd'hui",
                tuple(_rules_q("condition", c, area=True) for c in AREA)),
        Section("procedures", "Recent procedures", "Interventions récentes", (
            *(_rules_q("procedure", p, area=True) for p in PROCEDURES),
        )),
        Section("other", "Anything else", "Autre chose", (
            Question("other_history", "text",
                     "Anything else your clinician should know (illnesses, medications)",
                     "Autre chose que votre clinicien devrait savoir (maladies, médicaments)"),
        )),
    )


@cache
def questions() -> dict[str, Question]:
    return {q.link_id: q for s in sections() for q in s.questions}


@cache
def question_codes() -> dict[str, tuple[str, str]]:
    """Question id → (kind, rules code) for the questions the rules decide on."""
    return {q.link_id: (q.kind, q.rules_code) for q in questions().values() if q.rules_code}


def as_json() -> dict[str, Any]:
    """The definition stored with each questionnaire version (and exported as FHIR)."""
    return {"version": VERSION, "zones": [list(z) for z in zones()],
            "sections": [asdict(s) for s in sections()]}
