"""Request and response shapes of the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import EmailStr, Field, field_validator

from puncta.patients.models import Concern

ConcernCode = Literal[
    "fine_lines", "wrinkles", "tone", "texture", "acne_scars", "other_scars",
    "stretch_marks", "pigmentation",
]
assert set(ConcernCode.__args__) == set(Concern.values)  # type: ignore[attr-defined]


class PatientOut(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex_at_birth: str
    email: str
    phone: str
    preferred_language: str
    phototype: int | None
    skin_thin: bool
    skin_sensitive: bool
    skin_notes: str
    concerns: list[str]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientIn(Schema):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date
    sex_at_birth: Literal["female", "male", "intersex", "unknown"] = "unknown"
    email: EmailStr | Literal[""] = ""
    phone: str = Field("", max_length=32)
    preferred_language: Literal["en", "fr"] = "en"
    phototype: int | None = Field(None, ge=1, le=6)
    skin_thin: bool = False
    skin_sensitive: bool = False
    skin_notes: str = Field("", max_length=4000)
    concerns: list[ConcernCode] = []
    mrn: str = Field("", max_length=32)

    @field_validator("date_of_birth")
    @classmethod
    def born_in_past(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError("date_of_birth cannot be in the future")
        return value


class PatientPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: dt.date | None = None
    sex_at_birth: Literal["female", "male", "intersex", "unknown"] | None = None
    email: EmailStr | Literal[""] | None = None
    phone: str | None = Field(None, max_length=32)
    preferred_language: Literal["en", "fr"] | None = None
    phototype: int | None = Field(None, ge=1, le=6)
    skin_thin: bool | None = None
    skin_sensitive: bool | None = None
    skin_notes: str | None = Field(None, max_length=4000)
    concerns: list[ConcernCode] | None = None
    version: int | None = Field(None, description="Refuse the update if the record changed")


class PatientPage(Schema):
    count: int
    items: list[PatientOut]


class Error(Schema):
    detail: str
