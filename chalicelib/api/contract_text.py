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
- Not served yet: `POST /pharmacies` and the pharmacist role, prescriptions, certificates of
  incapacity for work and the vaccination booklet.
- Onboarding: `iban` is not checked as an IBAN. `POST /devices` answers a `doctor_code`, never
  a `pharmacy_code`. The answer of `POST` and `PUT /patients…` adds `guardians`.
- Invoices: the body takes `insurer` for a patient not in the registry; the answer adds
  `payments`, `cancel_reason` and `claim`. The PDF is always the PDF itself (never a 303).
- Reconciliation: `from` and `to` are required and span at most 366 days.
- Appointments: slot and appointment times carry the practice's offset (Europe/Luxembourg)
  rather than UTC. `GET /practice/availability` is an addition.
- Relatives: `GET /patient/relatives` answers every link on one page.
- Webhooks: eight event types so far (invoices, documents, claims, appointments and record
  access; no `claim.withdrawn` yet); `events` is null for an endpoint that takes every type.
  At most 10 endpoints per owner: an eleventh is 409. A delivery lists its attempts.
- Documents: the download adds `download_expires_in`.
- Claims: the answer adds the invoice's number, doctor, patient and service date, the channel,
  `overdue`, the proof of payment and the decision.
- The reference page (`/docs`) and this document (`/openapi.json`) are additions.
- Shared care record: a practice uploads only `lab_result`, `report`, `imaging`,
  `patient_summary` and `other` (the other types land by themselves). The upload's signed
  headers are `Content-Type`, `Content-Length` and `x-amz-checksum-sha256` (the SHA-256 in
  base64). A patient not in the registry is 422 on `patient_matricule` to an upload and 403
  to a search; a practice the patient blocked, or a closed record, is 403 to an upload.
  `complete` answers `{id, status}`; before any upload it is 409; a refused upload is 422
  on the announcement's `size_bytes`, `sha256` or `content_type`, and may be sent again
  while its URL lasts. A search takes `limit` and `cursor`
  in the query like every list; its documents add `author_code` and `confidentiality`, and
  the read adds `download_expires_in`. An emergency search by an assistant is 403, one on a
  blocked practice or a closed record too; while a doctor's window is open, that practice's
  doctors read through it (journaled as emergencies), its assistants do not. A care
  relationship is an invoice of the practice, or a booked (not cancelled) appointment that
  started, in the last 12 months.
- The patient's record: `POST /patient/record/grants` and `/blocks` answer the grant or block
  (`{doctor_code, name, until}`, `{doctor_code, name}`); granting or blocking a practice again
  replaces it; an unregistered `doctor_code` is 422, as is an `until` before today (a grant
  works to the end of its `until` day, Europe/Luxembourg). At most 100 grants and 100 blocks.
  Deleting a grant or block there is not is 404. Close and reopen answer the record as
  `GET /patient/record` does. Hide and unhide answer the document's metadata. A relative
  reads `GET /patient/record?for=`, but grants, blocks, hiding and closing are the patient's
  own: a relative's `for=` is not taken there (the access an adult accepted is to read and
  book on their behalf).
- The journal adds the action `document.upload` (a practice adding a document to the record).
"""

ROLES = """\
A token of one role: the operator's (a named person; in the local stack the configured
`DHN_OPERATOR_TOKEN`), a practice device's from enrolment (`doctor` or `assistant`), or a
`patient`'s or an `insurer`'s from the operator. Each operation lists the roles it takes."""
