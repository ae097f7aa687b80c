"""What differs between the deployed stages. Everything else in infra/ is the same for all."""

from __future__ import annotations

from dataclasses import dataclass

# API Gateway's stage in every deployed stage: URLs end in `/api/v1/...`.
API_STAGE = "api"
# The window in which the WAF counts each address's requests (one of 60, 120, 300 and 600).
IP_RATE_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class Stage:
    name: str
    region: str
    # Production keeps its data when the stack goes: tables are protected and retained.
    protect_data: bool
    log_retention_days: int
    # API Gateway's throttle for the whole stage, in requests per second and burst.
    throttle_rate: int
    throttle_burst: int
    # The WAF's limit for one client address, in requests per `IP_RATE_WINDOW_SECONDS`; past
    # it that address is answered 429 until its rate falls below again. A practice or an
    # insurer sends all its devices' requests from one address: this is not a per-user limit.
    ip_rate_limit: int
    lambda_memory_mb: int
    # The WAF's limit for one address on the employer's share-code routes, per
    # `IP_RATE_WINDOW_SECONDS` (WAF's least is 10): an employer opens a link a few times.
    employer_code_rate_limit: int = 100
    # Where alarms are sent; None keeps them on the console only.
    alarm_email: str | None = None
    # Public keys (base64url, the `x` of the JWKS entry) of the next token signing key,
    # published before it signs (chalicelib/core/signing_keys.py tells the rotation's steps).
    next_qr_keys: tuple[str, ...] = ()
    # The same for earlier signing keys, kept until every document signed with them is settled.
    retired_qr_keys: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        """Every physical name of the stage starts with it (`dhn-dev-invoices`)."""
        return f"dhn-{self.name}"


STAGES: dict[str, Stage] = {
    "dev": Stage(
        name="dev",
        region="eu-central-1",
        protect_data=False,
        log_retention_days=30,
        throttle_rate=50,
        throttle_burst=100,
        ip_rate_limit=1000,
        lambda_memory_mb=1024,
    ),
    "prod": Stage(
        name="prod",
        region="eu-central-1",
        protect_data=True,
        log_retention_days=365,
        throttle_rate=500,
        throttle_burst=1000,
        ip_rate_limit=3000,
        lambda_memory_mb=1024,
    ),
}
