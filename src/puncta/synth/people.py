"""Believable people: English and French Canadian names, ages, skin, and intake answers
in the questionnaire's real format (see ``puncta.patients.intake.answers``)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from faker import Faker

from puncta.patients.intake.definition import questions, zones
from puncta.patients.models import fold

# Name pools are drawn once from seeded Faker instances (en_CA, fr_CA), then sampled
# with the stage's random stream: as believable as Faker, much faster per patient.
POOL = 800


@dataclass(frozen=True)
class Pools:
    female: dict[str, list[str]]
    male: dict[str, list[str]]
    family: dict[str, list[str]]
    signatures: list[tuple[list[list[float]], str]]

    @classmethod
    def build(cls, seed: int) -> Pools:
        female, male, family = {}, {}, {}
        for i, (lang, locale) in enumerate((("en", "en_CA"), ("fr", "fr_CA"))):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + i)
            female[lang] = [fake.first_name_female() for _ in range(POOL)]
            male[lang] = [fake.first_name_male() for _ in range(POOL)]
            family[lang] = [fake.last_name() for _ in range(POOL * 2)]
        return cls(female, male, family, signature_pool(seed))


def ascii_name(name: str) -> str:
    return "".join(c for c in fold(name) if c.isascii() and c.isalnum()) or "patient"


SEX = (["female"] * 780 + ["male"] * 200 + ["intersex"] * 5 + ["unknown"] * 15)
PHOTOTYPES = [1] * 5 + [2] * 25 + [3] * 30 + [4] * 20 + [5] * 12 + [6] * 8
CONCERNS = (["acne_scars"] * 30 + ["fine_lines"] * 25 + ["texture"] * 20
            + ["wrinkles"] * 12 + ["pigmentation"] * 12 + ["tone"] * 10
            + ["stretch_marks"] * 6 + ["other_scars"] * 5)
GOALS = {
    "en": ["Smoother skin before my wedding", "Fade my acne scars", "Look less tired",
           "Even out my skin tone", "Soften the lines around my eyes", "",
           "Improve texture on my cheeks", "Reduce the stretch marks on my abdomen"],
    "fr": ["Une peau plus lisse avant mon mariage", "Atténuer mes cicatrices d'acné",
           "Avoir l'air moins fatiguée", "Unifier mon teint", "",
           "Adoucir les ridules autour des yeux", "Améliorer la texture de mes joues"],
}

# Prevalence among people who come for microneedling (per intake), by rules code.
# Absolute contraindications are rare; relative ones (needing a physician) less so.
CONDITION_RATES = {
    "herpes_simplex_history": 0.07, "keloid_history": 0.015, "eczema": 0.025,
    "psoriasis": 0.012, "chronic_skin_condition": 0.004, "recent_scar": 0.008,
    "recent_stretch_marks": 0.004, "active_acne": 0.04, "rosacea": 0.025,
    "solar_keratosis": 0.006, "moles": 0.025, "facial_trauma": 0.002,
    "scleroderma": 0.0008, "poor_wound_healing": 0.004,
    "skin_cancer": 0.002, "open_wound": 0.002, "active_infection": 0.003,
    "active_herpes": 0.004, "warts": 0.005, "stainless_steel_allergy": 0.002,
    "anaesthetic_allergy": 0.003, "bleeding_disorder": 0.002,
    "uncontrolled_diabetes": 0.004, "systemic_infection": 0.001,
    "liver_disease": 0.004, "pseudocholinesterase_deficiency": 0.0005,
    "paba_allergy": 0.003, "sulphonamide_allergy": 0.02, "methaemoglobinaemia": 0.0003,
}
# (current, past) rates per medication question.
MEDICATION_RATES = {
    "isotretinoin": (0.003, 0.03), "anticoagulant": (0.012, 0.004),
    "high_dose_corticosteroid": (0.004, 0.01), "chemotherapy": (0.001, 0.004),
    "antiarrhythmic": (0.002, 0.0), "retinoid": (0.10, 0.08),
}
PROCEDURE_RATES = {"filler": 0.05, "surgery": 0.01, "radiotherapy": 0.002, "laser": 0.05,
                   "peel": 0.04}


def answers_for(rng: random.Random, *, sex: str, born: dt.date, on: dt.date,
                concerns: list[str], phototype: int | None, thin: bool, sensitive: bool,
                lang: str) -> dict[str, Any]:
    """A complete, valid set of answers as the intake form stores them."""
    zone_codes = [z[0] for z in zones()]
    age = (on - born).days // 365
    childbearing = sex == "female" and 18 <= age <= 45
    out: dict[str, Any] = {}
    for q in questions().values():
        key = q.link_id
        code = key.split(".", 1)[1] if "." in key else key
        if q.kind == "multi":
            out[key] = list(concerns)
        elif q.kind == "text":
            out[key] = rng.choice(GOALS[lang]) if key == "goals" else (
                "" if rng.random() < 0.9 else "Hypothyroidism, on levothyroxine")
        elif q.kind == "phototype":
            out[key] = phototype or rng.choice(PHOTOTYPES)
        elif q.kind == "bool":
            rate = {"pregnant": 0.015 if childbearing else 0.0,
                    "nursing": 0.015 if childbearing else 0.0}.get(key)
            if rate is None:
                out[key] = thin if key == "skin_thin" else sensitive
            else:
                out[key] = rng.random() < rate
        elif q.kind == "condition":
            present = rng.random() < CONDITION_RATES.get(code, 0.002)
            out[key] = {"present": present,
                        "zone": rng.choice(zone_codes) if present and q.area else ""}
        elif q.kind == "medication":
            current, past = MEDICATION_RATES.get(code, (0.002, 0.002))
            draw = rng.random()
            if draw < current:
                out[key] = {"status": "current", "last_dose": ""}
            elif draw < current + past:
                last = max(born, on - dt.timedelta(days=rng.randint(20, 1000)))
                out[key] = {"status": "past", "last_dose": last.isoformat()}
            else:
                out[key] = {"status": "no", "last_dose": ""}
        elif q.kind == "procedure":
            if rng.random() < PROCEDURE_RATES.get(code, 0.002):
                when = max(born, on - dt.timedelta(days=rng.randint(7, 900)))
                chosen = rng.sample(zone_codes, rng.randint(1, 2)) if q.area else []
                out[key] = {"zones": chosen, "on": when.isoformat()}
            else:
                out[key] = {"zones": [], "on": ""}
    return out


def signature_pool(seed: int, size: int = 256) -> list[tuple[list[list[float]], str]]:
    """Drawn signatures (strokes as stored, and their SVG) to sign consents with."""
    from puncta.consent.signature import to_svg

    rng = random.Random(f"{seed}:signatures")
    out = []
    for _ in range(size):
        strokes = signature_strokes(rng)
        out.append(([[list(p) for p in s] for s in strokes], to_svg(strokes)))
    return out


def signature_strokes(rng: random.Random) -> list[list[tuple[float, float]]]:
    """A scribbled signature: a few strokes of points in the 600x200 box."""
    strokes = []
    x = rng.uniform(40, 120)
    for _ in range(rng.randint(2, 3)):
        points = []
        y = rng.uniform(80, 130)
        for _ in range(rng.randint(8, 16)):
            x = min(590.0, x + rng.uniform(4, 18))
            y = min(190.0, max(10.0, y + rng.uniform(-25, 25)))
            points.append((round(x, 1), round(y, 1)))
        strokes.append(points)
        x += rng.uniform(10, 30)
    return strokes
