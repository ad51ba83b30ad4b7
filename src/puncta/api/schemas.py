"""Request and response shapes of the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    EmailStr,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from puncta.clinics.bounds import FIRST_DAY, LAST_DAY, day_in_range
from puncta.patients.models import Concern


def _in_range(day: dt.date) -> dt.date:
    if not day_in_range(day):
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def _written(value: Any) -> Any:
    """Dates and times come written out (ISO 8601), as the schema says: pydantic would
    also read a number as seconds since 1970, which no person or client means."""
    if isinstance(value, bool | int | float) or (
            isinstance(value, str) and value.strip().lstrip("+-").replace(".", "").isdigit()):
        raise ValueError("write it in ISO 8601 (YYYY-MM-DD, or YYYY-MM-DDTHH:MM+HH:MM)")
    return value


# Every date and time a request carries: inside the range a clinic record can mean.
Day = Annotated[dt.date, BeforeValidator(_written), AfterValidator(_in_range)]
# An instant must say its offset (a naive time is ambiguous across the clinic's zones).
Instant = Annotated[AwareDatetime, BeforeValidator(_written), AfterValidator(_in_range)]

_CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
          "description": "a local wall-clock time, HH:MM or HH:MM:SS (no zone)"}
# A wall-clock time at a location (working hours): no zone, as JSON Schema's "time" needs one.
LocalTime = Annotated[
    dt.time, AfterValidator(lambda t: t.replace(tzinfo=None)),
    PlainSerializer(lambda t: t.isoformat(), return_type=str), WithJsonSchema(_CLOCK)]

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
    date_of_birth: Day
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
    date_of_birth: Day
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

    # Birth date, phone and MRN rules are the model's (Patient.clean), shared with the web.


class PatchSchema(Schema):
    """A partial update: an absent field is unchanged; ``null`` only clears a field that
    may be empty (``NULLABLE``), never a required text."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def no_null_for_required(self) -> Any:
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.NULLABLE:
                raise ValueError(f"{name}: give a value or leave the field out (not null)")
        return self


class PatientPatch(PatchSchema):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"phototype", "version"})

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: Day | None = None
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
