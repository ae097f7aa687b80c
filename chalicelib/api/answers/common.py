"""What many answers share: pages, identifiers, instants and codes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# ULIDs in Crockford's base 32: 26 characters, the first at most 7 (48 bits of time).
_ULID = "[0-7][0-9A-HJKMNP-TV-Z]{25}"


class Answer(BaseModel):
    """A JSON answer. A later revision of the contract may add fields: a client ignores the
    ones it does not know."""

    # Built when the contract is, never on a request: no handler validates its answer.
    model_config = ConfigDict(frozen=True, defer_build=True)


class Page(Answer):
    """One page of a list; a subclass says what its `items` are."""

    next_cursor: Annotated[
        str | None,
        Field(
            description="Pass it as `cursor` for the next page; null on the last page (which may be empty)."
        ),
    ]


def identifier(prefix: str, example: str) -> Any:
    """The schema of an id of one kind: `prefix_` and a ULID."""
    return Field(pattern=f"^{prefix}_{_ULID}$", examples=[f"{prefix}_{example}"])


InvoiceId = Annotated[str, identifier("inv", "01JD5Z8K3M7Q9R2T4V6W8X0Y1Z")]
ClaimId = Annotated[str, identifier("clm", "01JD5Z9A4B6C8D0E2F4G6H8J0K")]
AppointmentId = Annotated[str, identifier("apt", "01JD60B2C4D6E8F0G2H4J6K8M0")]
DocumentId = Annotated[str, identifier("doc", "01JD5Z8K3M7Q9R2T4V6W8X0Y2A")]
DeviceId = Annotated[str, identifier("dev", "01JD5Y7H2K4M6N8P0Q2R4S6T8V")]
EndpointId = Annotated[str, identifier("whk", "01JD61C3D5E7F9G1H3J5K7M9N1")]
DeliveryId = Annotated[str, identifier("dlv", "01JD62D4E6F8G0H2J4K6M8N0P2")]
PatientId = Annotated[str, identifier("pat", "01JD5Z7H2K4M6N8P0Q2R4S6T8V")]
LinkId = Annotated[str, identifier("lnk", "01JD61C3D5E7F9G1H3J5K7M9N1")]
TokenId = Annotated[str, identifier("tok", "01JD5Z6G1J3K5K7M9N1P3Q5R7S")]
EventId = Annotated[str, identifier("evt", "01JD62D4E6F8G0H2J4K6M8N0P3")]
CertificateId = Annotated[str, identifier("cit", "01JD63E5F7G9H1J3K5M7N9P1Q3")]
# An employer's share code: 128 random bits in base64url.
ShareCode = Annotated[
    str,
    Field(
        pattern="^[A-Za-z0-9_-]{22}$",
        description="A share code, shown once to the patient; it is the employer's credential.",
        examples=["q3Zk0vXh8mT2Lr6YcWb1Na"],
    ),
]

Instant = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$",
        description="An instant in UTC, to the millisecond.",
        examples=["2026-11-23T09:30:00.000Z"],
    ),
]
LocalInstant = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$",
        description="An instant with the practice's offset (Europe/Luxembourg): its wall-clock time.",
        examples=["2026-11-24T08:00:00+01:00"],
    ),
]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-11-20"])]
Matricule = Annotated[
    str,
    Field(
        pattern="^[0-9]{13}$",
        description="The 13-digit national identification number `YYYYMMDDNNNCC`.",
        examples=["1893120105732"],
    ),
]
DoctorCode = Annotated[
    str,
    Field(pattern="^[0-9]{6}-[0-9]{2}$", description="The CNS provider code.", examples=["123456-78"]),
]
PharmacyCode = Annotated[
    str, Field(pattern="^[0-9]{6}$", description="The pharmacy's code.", examples=["412345"])
]
PrescriptionId = Annotated[str, identifier("rx", "01JD63E5F7G9H1J3K5M7N9P1Q3")]
Cents = Annotated[int, Field(ge=0)]
Secret = Annotated[str, Field(description="A bearer token: shown this once, never again.")]


class Token(Answer):
    """A new bearer token, its id (to revoke it) and when it expires."""

    token: Secret
    token_id: TokenId
    expires_at: Instant
