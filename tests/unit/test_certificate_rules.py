"""The certificate's rules: ICD-10 shapes, periods, the cancel window, lateness, corrections,
and its signed token, which names no diagnosis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.core import signing_keys
from chalicelib.domain import certificate_terms as terms
from chalicelib.domain import certificate_token, qr_token, signed_token
from chalicelib.domain import certificates as rules
from chalicelib.domain.certificates import Certificate, InvalidCertificate

ISSUED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def certificate(**fields: object) -> Certificate:
    start = date(2026, 11, 23)
    base = Certificate(
        "cit_01KB3X4Y5Z6A7B8C9D0E1F2G3H",
        doctor_code="123456-78",
        practice_name="Dr Anne Weber",
        patient_matricule="1893120105732",
        patient_id="pat_01KB3X4Y5Z6A7B8C9D0E1F2G3H",
        patient_name="Marie Schmit",
        insurer="CNS",
        kind="initial",
        start=start,
        end=start + timedelta(days=4),
        diagnosis_code="J06.9",
        outings_allowed=True,
        accident=False,
        replaces=None,
        issued_at=ISSUED,
        cancel_until=rules.cancel_until(ISSUED),
        deadlines=rules.deadlines(start),
        late=False,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("J06.9", "J06.9"),
        ("j06.9", "J06.9"),
        ("J069", "J06.9"),
        ("A00", "A00"),
        ("Z99", "Z99"),
        ("S52.51", "S52.51"),
        ("M54.5X", "M54.5X"),
        (" F32.1 ", "F32.1"),
    ],
)
def test_valid_icd10_shapes(raw: str, stored: str) -> None:
    assert rules.diagnosis_code(raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["", "J0", "J6.9", "06.9", "JJ6.9", "J06.", "J06.999", "J06-9", "J06..9", "J06.9 1", "É06.9", "J0６"],
)
def test_invalid_icd10_shapes(raw: str) -> None:
    with pytest.raises(InvalidCertificate) as raised:
        rules.diagnosis_code(raw)
    assert raised.value.field == "diagnosis_code"


@pytest.mark.parametrize(
    ("kind", "start", "end", "field"),
    [
        ("initial", TODAY, TODAY - timedelta(days=1), "end"),
        ("initial", TODAY, date(2027, 11, 24), "end"),
        ("initial", TODAY - timedelta(days=3), TODAY, "start"),
        ("extension", date(2024, 2, 29), date(2025, 3, 1), "end"),
    ],
)
def test_periods_refused(kind: terms.Kind, start: date, end: date, field: str) -> None:
    with pytest.raises(InvalidCertificate) as raised:
        rules.check_period(kind, start, end, TODAY)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("initial", TODAY, TODAY),
        ("initial", TODAY - timedelta(days=2), TODAY),
        ("initial", TODAY, date(2027, 11, 23)),
        ("extension", TODAY - timedelta(days=30), TODAY),
        ("extension", date(2024, 2, 29), date(2025, 2, 28)),
    ],
)
def test_periods_allowed(kind: terms.Kind, start: date, end: date) -> None:
    rules.check_period(kind, start, end, TODAY)


def test_cancel_only_before_the_window_closes() -> None:
    issued = certificate()
    cancelled = rules.cancelled(issued, "typo", ISSUED + timedelta(minutes=59, seconds=59))
    assert cancelled.status == "cancelled"
    assert cancelled.cancel_reason == "typo"
    with pytest.raises(ValueError, match="cancel window has closed"):
        rules.cancelled(issued, "typo", ISSUED + timedelta(hours=1))


def test_transmitted_when_the_window_closes_unless_cancelled() -> None:
    issued = certificate()
    assert not issued.transmitted(ISSUED + timedelta(minutes=59))
    assert issued.transmitted(ISSUED + timedelta(hours=1))
    assert not replace(issued, status="cancelled").transmitted(ISSUED + timedelta(days=1))
    assert replace(issued, status="superseded").transmitted(ISSUED + timedelta(hours=1))


def test_late_after_the_end_of_the_insurers_day_in_luxembourg() -> None:
    due = rules.deadlines(date(2026, 11, 23))
    # 23:30 UTC on the 25th is already the 26th in Luxembourg (UTC+1).
    assert not rules.late(datetime(2026, 11, 25, 22, 59, tzinfo=UTC), due)
    assert rules.late(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), due)


def test_a_correction_replaces_a_certificate_in_force_of_the_same_patient_and_practice() -> None:
    replaced = certificate()
    rules.check_replaceable(replaced, "1893120105732", "123456-78")
    for matricule, doctor_code, found in [
        ("1985060700123", "123456-78", replaced),
        ("1893120105732", "654321-09", replaced),
        ("1893120105732", "123456-78", replace(replaced, status="superseded")),
        ("1893120105732", "123456-78", replace(replaced, status="cancelled")),
    ]:
        with pytest.raises(InvalidCertificate) as raised:
            rules.check_replaceable(found, matricule, doctor_code)
        assert raised.value.field == "replaces"


def test_events_carry_no_diagnosis_no_matricule_no_name() -> None:
    event = rules.event(certificate(), "certificate.issued", "evt_01KB3X4Y5Z6A7B8C9D0E1F2G3H", ISSUED)
    text = str(event.data)
    for secret in ("J06", "1893120105732", "Schmit", "Weber"):
        assert secret not in text
    assert event.patient == "1893120105732"


def test_a_share_opens_until_it_expires_or_is_revoked() -> None:
    share = rules.EmployerShare("h", "cit_x", "1893120105732", None, ISSUED, ISSUED + rules.SHARE_LIFETIME)
    assert share.opens(ISSUED + timedelta(days=29, hours=23))
    assert not share.opens(ISSUED + timedelta(days=30))
    assert not replace(share, revoked_at=ISSUED).opens(ISSUED + timedelta(seconds=1))


def test_the_token_names_the_dates_and_never_the_diagnosis() -> None:
    claims = certificate_token.CertificateClaims(
        "cit_01KB3X4Y5Z6A7B8C9D0E1F2G3H", "CNS", TODAY, TODAY, TODAY + timedelta(days=4)
    )
    token = claims.sign(signing_keys.signing_key())
    assert token.startswith("DHN1:")
    assert len(token) <= signed_token.MAX_LENGTH
    assert certificate_token.decode(token, signing_keys.verification_keys()) == claims
    # Whatever the payload carries, it has no room for more than these claims.
    verified = signed_token.verify(signed_token.Kind.CERTIFICATE, token, signing_keys.verification_keys())
    assert set(verified.claims) == {
        signed_token.Claim.INSURER,
        signed_token.Claim.DATE,
        signed_token.Claim.START,
        signed_token.Claim.END,
    }
    # Neither kind's verifier takes the other's token.
    with pytest.raises(signed_token.InvalidToken):
        qr_token.decode(token, signing_keys.verification_keys())
