"""Request field types shared by the blueprints: the domain's rules as pydantic validators,
so a broken rule becomes a 422 that names the field."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.api.edge import Call
from chalicelib.core import cursor as cursors
from chalicelib.core.errors import Unprocessable
from chalicelib.domain import doctor_code, matricule

Matricule = Annotated[str, AfterValidator(matricule.normalize)]
DoctorCode = Annotated[str, AfterValidator(doctor_code.normalize)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a misspelt field never goes unnoticed."""

    # Validators are built on first use, not at import: cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ListQuery(BaseModel):
    """`?limit=&cursor=` of every list; other query parameters are the route's filters."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    limit: int = Field(default=20, ge=1, le=100)
    cursor: Annotated[dict[str, Any] | None, BeforeValidator(cursors.decode)] = None


def path_matricule(call: Call) -> str:
    """The matricule in the path. Spaces are accepted there as in bodies: API Gateway passes
    path parameters on still percent-encoded, so `1893%201201...` is decoded here."""
    try:
        return matricule.normalize(unquote(call.params["matricule"]))
    except ValueError as exc:
        raise Unprocessable.field("matricule", str(exc)) from exc
