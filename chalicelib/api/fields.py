"""Request field types shared by the blueprints: the domain's rules as pydantic validators, so a
broken rule becomes a 422 that names the field, and as JSON Schema, so the contract states each
rule as the server applies it.

Every type here reads exactly the text its schema admits: a pattern is checked as written (the
same regular expression in pydantic and in the contract), and dates, instants, integers and
booleans in a query are read from their one written form, never from a number pydantic would
take for a Unix time. A rule that no schema can state (a check digit, a date relative to today)
is named in the schema under `x-rule`: a request that fits the schema is refused with 422 only
on a field that names such a rule.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from chalicelib.core import cursor as cursors
from chalicelib.domain import doctor_code, matricule

# The JSON Schema keyword of a rule beyond the schema; the contract lists them per operation.
RULE = "x-rule"


def rule(text: str) -> dict[str, Any]:
    """`json_schema_extra` naming a rule of the domain that the schema cannot state."""
    return {RULE: text}


# Years from 1900 to 2999: far from the ends of Python's calendar, so neither day arithmetic
# nor a conversion between offsets can overflow.
_YEAR_MONTH_DAY = "(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DAY_PATTERN = f"^{_YEAR_MONTH_DAY}$"
# RFC 3339 `date-time`: seconds are required, and so is the offset (`Z` or `±hh:mm`).
INSTANT_PATTERN = (
    f"^{_YEAR_MONTH_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Spaces may group the digits anywhere (`1893 1201 057 32`); no other white space.
MATRICULE_PATTERN = "^ *([0-9] *){13}$"
DOCTOR_CODE_PATTERN = "^ *[0-9]{6}-?[0-9]{2} *$"
# Some character that `str.strip` keeps: the class lists exactly the ones it drops.
SOME_TEXT_PATTERN = r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _fits(pattern: str, what: str) -> Any:
    """A validator of text that matches `pattern` as a whole (compiled on first use)."""

    def check(raw: object) -> str:
        if not isinstance(raw, str) or not re.fullmatch(pattern, raw):
            raise ValueError(f"must be {what}")
        return raw

    return check


_is_day = _fits(DAY_PATTERN, "a date as YYYY-MM-DD, from 1900 to 2999")
_is_instant = _fits(INSTANT_PATTERN, "an RFC 3339 date-time with an offset, from 1900 to 2999")


def _day(raw: object) -> date:
    return date.fromisoformat(_is_day(raw))


def _instant(raw: object) -> datetime:
    # RFC 3339 lets `T` and `Z` be lower case; `fromisoformat` reads them upper case only.
    return datetime.fromisoformat(_is_instant(raw).upper())


def _decimal(raw: object) -> object:
    """A query's integer in decimal digits, as written; `1.0`, `1e3` or ` 1` are not."""
    if isinstance(raw, str):
        if not re.fullmatch("-?[0-9]{1,9}", raw):
            raise ValueError("must be an integer written in decimal digits")
        return int(raw)
    return raw


def _flag(raw: object) -> object:
    """A query's boolean, as JSON writes it."""
    if isinstance(raw, str):
        if raw not in ("true", "false"):
            raise ValueError("must be true or false")
        return raw == "true"
    return raw


# Constraints come before a BeforeValidator: pydantic states them in the schema only there.
Day = Annotated[
    date,
    Field(json_schema_extra={"pattern": DAY_PATTERN}, examples=["2026-11-20"]),
    BeforeValidator(_day),
]
# A range of days a list or search is narrowed to, both ends included.
FirstDay = Annotated[
    Day | None,
    Field(alias="from", description="First day, inclusive.", json_schema_extra=rule("from 2000-01-01")),
]
LastDay = Annotated[
    Day | None,
    Field(description="Last day, inclusive.", json_schema_extra=rule("to 2999-12-31, not before `from`")),
]
Instant = Annotated[
    AwareDatetime,
    Field(json_schema_extra={"pattern": INSTANT_PATTERN}, examples=["2026-11-23T09:30:00Z"]),
    BeforeValidator(_instant),
]
MATRICULE_RULE = (
    "digit 12 is the Luhn and digit 13 the Verhoeff check digit of digits 1 to 11, "
    "and digits 1 to 8 a birth date (month and day may be 00)"
)
Matricule = Annotated[
    str,
    Field(
        pattern=MATRICULE_PATTERN,
        description=("The 13-digit national identification number `YYYYMMDDNNNCC`; spaces are dropped."),
        examples=["1893120105732"],
        json_schema_extra={"format": "matricule", **rule(MATRICULE_RULE)},
    ),
    AfterValidator(matricule.normalize),
]
# Whom a patient acts for: themselves, or a relative whose link lets them.
ActingFor = Annotated[
    Matricule,
    Field(
        description="The patient's own matricule or a relative's; the caller's own where absent.",
        json_schema_extra=rule(
            f"{MATRICULE_RULE}; the caller's, or a relative's the caller may act for (else 403)"
        ),
    ),
]
PATIENT_ID_PATTERN = "^pat_[0-9A-HJKMNP-TV-Z]{26}$"
# How URLs name a registered patient: `pat_` and a ULID in Crockford's alphabet.
PatientId = Annotated[
    str,
    Field(
        pattern=PATIENT_ID_PATTERN,
        description="A registered patient's opaque id, by which URLs name the patient.",
        examples=["pat_01KB3X4Y5Z6A7B8C9D0E1F2G3H"],
    ),
]
DoctorCode = Annotated[
    str,
    Field(
        pattern=DOCTOR_CODE_PATTERN,
        description="The CNS provider code, 8 digits, with or without the dash of `NNNNNN-NN`.",
        examples=["123456-78"],
    ),
    AfterValidator(doctor_code.normalize),
]
PharmacyCode = Annotated[
    str,
    Field(pattern="^[0-9]{6}$", description="The pharmacy's code, 6 digits.", examples=["412345"]),
]
Text = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=SOME_TEXT_PATTERN,
        description="Surrounding white space is dropped; some text must remain.",
    ),
    AfterValidator(str.strip),
]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]
PaymentMethod = Literal["cash", "card", "transfer"]
# What the QR code of an invoice carries. No pattern: a token that is not `DHN1:` and Base45
# gets the one answer of any token that fails to verify, which says nothing of why.
QrText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        description="The text of an invoice's QR code: `DHN1:` and Base45 (RFC 9285).",
        examples=["DHN1:6BFOXN*TS0BI$ZDFRH"],
        json_schema_extra=rule("signed by DHN with a key of `/.well-known/jwks.json`"),
    ),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Items per page."), BeforeValidator(_decimal)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Cursor = Annotated[
    dict[str, Any] | None,
    BeforeValidator(cursors.decode),
    WithJsonSchema(
        {
            "type": "string",
            "description": "The `next_cursor` of the previous page of the same list.",
            **rule("a cursor this list answered; a forged one, or another list's"),
        }
    ),
]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field never goes unnoticed."""

    # Validators are built on first use, not at import: cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Query(BaseModel):
    """A route's query parameters; others are ignored, as proxies and caches add their own."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class ForQuery(Query):
    """`?for=` of a patient's route: the relative it is for, the caller themself where absent."""

    for_: Annotated[PatientId | None, Field(alias="for")] = None


class ListQuery(Query):
    """`?limit=&cursor=` of every list; other query parameters are the route's filters."""

    limit: Limit = 20
    cursor: Cursor = None
