"""The prose of the contract: its conventions, and where it differs from API.md."""

INTRODUCTION = """\
The public HTTP contract of DHN, the twin of `API.md`: practice software, insurers and the
patients' app are written against it. It is generated from the server's own routes and models,
so it says what the server does.

Conventions:
- Bodies are JSON in UTF-8. Money is integer euro cents in fields ending `_cents`. Dates are
  `YYYY-MM-DD`, instants RFC 3339 with an offset (answers give UTC, to the millisecond); the
  practice's calendar is Europe/Luxembourg (date filters and invoice years follow it).
- `Authorization: Bearer <token>`. No, unknown or revoked token: 401; a known token of the
  wrong role: 403; another tenant's object: 404, so its existence is not revealed. Each
  operation names the roles it is for.
- Errors are `application/problem+json` (RFC 9457), never a stack trace. A 422 names every
  invalid field in `errors[].field` (`lines[0].code`, `payment.amount_cents`, `cursor`,
  `Idempotency-Key`). Unknown body fields are refused (422 naming the field), strings are never
  taken for numbers, and amounts must be whole numbers (`5770`, or `5770.0` as JSON allows;
  never `57.7`); a query's integer is written in decimal digits, its boolean `true` or
  `false`, its date `YYYY-MM-DD`. A path that does not take the method is 405 (with `Allow`),
  a body sent as anything but JSON 415.
- A request that fits the schema may still break a rule no schema can state (a check digit, a
  date relative to today, the state of an invoice): it is 422 on a field whose schema names
  the rule under `x-rule`, and each operation's 422 lists them.
- Every POST that creates something honours `Idempotency-Key` for 24 h: the same key and body
  answer the first response again (status and body), the same key with another body is 422,
  the same key still in progress is 409. Keys belong to the caller's token. A POST whose
  answer holds a token given once (enrolment, rotation) takes no key: sent again it is 409 or
  401.
- Lists take `limit` (1 to 100, default 20) and `cursor`, and answer
  `{"items": [...], "next_cursor": "…" | null}`. A cursor is opaque, carries no personal data
  and resumes only the caller's own list: a forged one, or one from another list, is 422 or
  shows nothing of anyone else's. The last page may be empty.
- Every response carries `X-Request-Id`, the caller's own when it sent a sane one (1 to 128 of
  `A-Z a-z 0-9 . _ : -`).
"""

DIFFERENCES = """\
Where this differs from API.md (revision 2), which the server does not implement in full yet:
- Not served yet: `POST /pharmacies` and the pharmacist role, the shared care record,
  prescriptions, certificates of incapacity for work, and of the vaccination booklet
  `POST /records/vaccinations/search`.
- Onboarding: `iban` is not checked as an IBAN. `POST /devices` answers a `doctor_code`, never
  a `pharmacy_code`. The answer of `POST` and `PUT /patients…` adds `guardians`.
- Invoices: the body takes `insurer` for a patient not in the registry; the answer adds
  `payments`, `cancel_reason` and `claim`. The PDF is always the PDF itself (never a 303).
- Reconciliation: `from` and `to` are required and span at most 366 days.
- Appointments: slot and appointment times carry the practice's offset (Europe/Luxembourg)
  rather than UTC. `GET /practice/availability` is an addition.
- Relatives: `GET /patient/relatives` answers every link on one page.
- Webhooks: ten event types so far (invoices, documents, claims, appointments, record access
  and vaccinations; no `claim.withdrawn` yet); `events` is null for an endpoint that takes every type.
  At most 10 endpoints per owner: an eleventh is 409. A delivery lists its attempts.
- Documents: the metadata has no `hidden`; the download adds `download_expires_in`.
- Claims: the answer adds the invoice's number, doctor, patient and service date, the channel,
  `overdue`, the proof of payment and the decision.
- The reference page (`/docs`) and this document (`/openapi.json`) are additions.
- Vaccinations: `POST /vaccinations` is for a patient in the registry (else 422 on
  `patient_matricule`). An entry answers `patient_id`, `recorded_at`, `recorded_by`,
  `document_id` and `qr`: a doctor's entry is a signed document (its token names the entry and
  the day it was recorded) with a one-page PDF in the vault (`document.received`); a declared
  one has neither. `vaccine.code` is an ATC code of a vaccine (J07) or antibody (J06B).
  `targets` are listed once each. Recommendations leave out doses more than two years ahead;
  a reminder (`vaccination.due`) follows a booklet from its first entry on. In FHIR the
  patient is named by identifier (`urn:dhn:patient-id`), an entry's id has `-` for `_`, and
  an upcoming dose has HL7's forecast status `due`, its text `upcoming`.
"""

ROLES = """\
A token of one role: the operator's (a named person; in the local stack the configured
`DHN_OPERATOR_TOKEN`), a practice device's from enrolment (`doctor` or `assistant`), or a
`patient`'s or an `insurer`'s from the operator. Each operation lists the roles it takes."""
