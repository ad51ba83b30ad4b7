"""Property-based tests (hypothesis) over generated, well-formed proposals."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE, run
from puncta.rules import codes, downtime
from puncta.rules.model import VERDICT_RANK

CODES = codes()
ZONES = [z["code"] for z in CODES["zones"]]
SIDES = ["", "_left", "_right"]
ROLES = [r["code"] for r in CODES["roles"]]
INDICATIONS = [i["code"] for i in CODES["indications"]]
CONDITIONS = [c["code"] for c in CODES["conditions"]]
MEDICATIONS = [m["code"] for m in CODES["medications"]]
PROCEDURES = [p["code"] for p in CODES["procedures"]]

birth_dates = st.dates(date(1930, 1, 1), date(2024, 1, 1)).map(date.isoformat)
past = st.dates(date(2024, 1, 1), date(2026, 11, 25)).map(date.isoformat)
zone_code = st.builds(lambda z, s: z + s, st.sampled_from(ZONES), st.sampled_from(SIDES))
depth = st.floats(min_value=0.01, max_value=5.0, allow_nan=False).map(lambda x: round(x, 2))

condition = st.builds(
    lambda c, z, o: {"code": c, "zone": z, "onset": o},
    st.sampled_from(CONDITIONS),
    st.none() | zone_code,
    st.none() | past,
)
medication = st.builds(
    lambda c, d: {"code": c, "last_dose": d}, st.sampled_from(MEDICATIONS), st.none() | past
)
procedure = st.builds(
    lambda c, z, d: {"code": c, "zone": z, "on": d},
    st.sampled_from(PROCEDURES),
    st.none() | zone_code,
    past,
)


@st.composite
def proposals(draw: st.DrawFn) -> dict[str, Any]:
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["jurisdiction"] = draw(st.sampled_from(["CA", "CA-ON", "CA-AB", "CA-BC", "US"]))
    d["indication"] = draw(st.sampled_from(INDICATIONS))
    d["patient"] = {
        "birth_date": draw(birth_dates),
        "phototype": draw(st.integers(1, 6)),
        "pregnant": draw(st.booleans()),
        "nursing": draw(st.booleans()),
        "conditions": draw(st.lists(condition, max_size=3)),
        "medications": draw(st.lists(medication, max_size=2)),
        "procedures": draw(st.lists(procedure, max_size=2)),
    }
    d["practitioner"] = {
        "role": draw(st.sampled_from(ROLES)),
        "supervising_physician": draw(st.none() | st.just({"name": "Dr. A"})),
    }
    d["device"] = {
        "intended_use": draw(st.sampled_from(["professional", "consumer"])),
        "licence": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "authority": st.sampled_from(["HC", "FDA"]),
                    "class": st.integers(1, 4),
                    "status": st.sampled_from(["active", "archived"]),
                }
            )
        ),
        "max_depth_mm": draw(st.none() | depth),
    }
    d["zones"] = draw(
        st.lists(
            st.fixed_dictionaries({"zone": zone_code, "depth_mm": depth}), min_size=1, max_size=4
        )
    )
    d["previous_sessions"] = draw(st.lists(past, max_size=4))
    return d


def _physician(d: dict[str, Any]) -> bool:
    p = d["practitioner"]
    return p["role"] == "physician" or p["supervising_physician"] is not None


@settings(max_examples=300, deadline=None)
@given(proposals())
def test_dermis_without_physician_is_never_allowed(d: dict[str, Any]) -> None:
    r = run(d)
    if any(z.reaches == "dermis" for z in r.zones) and not _physician(d):
        assert r.verdict != "allow"
        assert r.verdict == "refuse"


@settings(max_examples=300, deadline=None)
@given(proposals(), st.data())
def test_adding_a_contraindication_never_lowers_the_verdict(
    d: dict[str, Any], data: st.DataObject
) -> None:
    before = run(d).verdict
    kind = data.draw(st.sampled_from(["conditions", "medications", "procedures"]))
    item = data.draw(
        {"conditions": condition, "medications": medication, "procedures": procedure}[kind]
    )
    d["patient"][kind] = [*d["patient"][kind], item]
    assert VERDICT_RANK[run(d).verdict] >= VERDICT_RANK[before]


@settings(max_examples=300, deadline=None)
@given(proposals())
def test_findings_are_complete_and_verdict_consistent(d: dict[str, Any]) -> None:
    r = run(d)
    for f in r.findings:
        assert f.source and f.message and f.message_fr and f.rule and f.field, f
        assert f.severity in ("refuse", "review", "note")
    worst = max((VERDICT_RANK[f.severity] for f in r.findings if f.severity != "note"), default=0)
    assert VERDICT_RANK[r.verdict] == worst
    assert r.downtime is not None
    assert r.numbing.allowed == (not any(c.startswith("numbing.") for c in r.codes))


@given(st.floats(0.01, 5.0), st.floats(0.01, 5.0))
def test_deeper_never_means_shorter_downtime(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    d1, d2 = downtime(lo), downtime(hi)
    assert d1.min_days <= d2.min_days and d1.max_days <= d2.max_days
