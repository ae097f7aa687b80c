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
- Onboarding: `iban` is not checked as an IBAN. `POST /devices` answers a `doctor_code` for a
  practice's device and a `pharmacy_code` for a pharmacy's, never both. A pharmacy keeps no
  list of devices: an operator revokes a lost pharmacy PC's token (`DELETE /tokens/{token_id}`).
  The answer of `POST` and `PUT /patients…` adds `guardians`.
- Invoices: the body takes `insurer` for a patient not in the registry; the answer adds
  `payments`, `cancel_reason` and `claim`. The PDF is always the PDF itself (never a 303).
- Reconciliation: `from` and `to` are required and span at most 366 days.
- Appointments: slot and appointment times carry the practice's offset (Europe/Luxembourg)
  rather than UTC. `GET /practice/availability` is an addition.
- Relatives: `GET /patient/relatives` answers every link on one page.
- Webhooks: every event type of API.md; `events` is null for an endpoint that takes every
  type.
  At most 10 endpoints per owner: an eleventh is 409. A delivery lists its attempts.
- Documents: the download adds `download_expires_in`.
- Claims: the answer adds the invoice's number, doctor, patient and service date, the channel,
  `overdue`, the proof of payment and the decision.
- Prescriptions: the patient must be in the registry (else 422 on `patient_matricule`);
  `repeats` is required; a medication `code` must be in the shipped catalogue, and `repeats`
  only for "R" medicines (422 naming the item). The answers add `repeats`, `document_id` (the
  copy in the record), `catalogue_version`, `reject_reason`, and for the patient the prescribing
  `doctor`. `GET /prescriptions/{id}/pdf` is an addition (`links.pdf`). A practice's reads are
  journaled as `document.read` of an object of type `prescription`. Cancelling anything but a
  `ready` prescription is 409, a cancelled one included. The pharmacy that holds it may accept
  again (its answer, the one place the secret is shown, may have been lost): it gets a new
  secret and the old one is void; an accept that loses a race after reading the
  prescription `ready` is journaled like the winner's. Dispensing adds up over one dispensing,
  and answers the held prescription with what it `dispensed`; a close with nothing dispensed,
  and a reject after a dispense, are 409. The close answers `id` and `repeats_left` besides
  `status` and `receipt`. The pharmacy's `patient.birth_date` is the matricule's, `00` for an
  unknown month or day. A held prescription past its last day stays `in_progress` until closed;
  a repeat left then is `expired`. Dispense, close and reject honour `Idempotency-Key`, the
  key's record committed with the step: a retry, after a crash too, is answered the step's
  first answer (the prescription as that step left it, the receipt) and the step counts once;
  the accept takes none, as its secret is given once.
- The reference page (`/docs`) and this document (`/openapi.json`) are additions.
- Idempotency of `POST /invoices`, `/patient/claims`, `/insurer/claims`, `/appointments`,
  `/prescriptions`, `/certificates`, `/vaccinations` and
  `/patient/vaccinations`:
  the key's record commits with what the request makes, and a retry is answered (status 201)
  from the object made, as it is now: a payment or a cancellation made since shows in it. Of
  two requests with one key in flight at once, the second gets the first's answer once it
  commits, not a 409. A 503 with `Retry-After` (an addition) says a service DHN depends on did
  not answer; retried with its key, the request completes what the first one began.
- Certificates: the patient must be in the registry. A correction (`replaces`) names a
  certificate in force (`issued`) of the same patient from the same practice, else 422 on
  `replaces`; an initial correction may start 2 days before the day the certificate it
  replaces was issued. `status` is `issued`, `cancelled` or `superseded`; reaching the insurer
  is `transmitted_at` (= `cancel_until`) and its receipt `acknowledged_at`, so
  `GET /insurer/certificates?status=` takes `issued` or `superseded` (`cancelled`: 422).
  `deadlines` are dates: `employer_by` the 3rd day of absence, moved to the next working day
  where it is not one; `insurer_by` the 3rd working day from `start`. The doctor's answers are
  the whole certificate (diagnosis, `late`, `qr`, `vault`…) and `GET /certificates/{id}/pdf`
  (the patient's sheet, `links.pdf`) is an addition; `GET /certificates` without `patient_id`
  lists the practice's. The practice's reads are journaled (`certificate.read`) like the
  insurer's. The acknowledgement answers `{id, acknowledged_at}`. The patient's view adds the
  practice, insurer, deadlines, correction links and `qr`, never the diagnosis; an active
  relative may share and revoke with `for=`. A share retried with its `Idempotency-Key`
  answers the first code again (kept sealed with the key for its 24 h) and makes no second
  share. A cancelled certificate is not shared (409);
  revoking a revoked code is 204 again. The employer's view adds `links.pdf`; its routes are
  rate limited per address (429) before the stage's general limit. A cancelled certificate
  tells the patient (`certificate.cancelled`).
- Vaccinations: `POST /vaccinations` is for a patient in the registry (else 422 on
  `patient_matricule`). An entry answers `patient_id`, `recorded_at`, `recorded_by`,
  `document_id` and `qr`: a doctor's entry is a signed document (its token names the entry and
  the day it was recorded) with a one-page PDF in the vault (`document.received`); a declared
  one has neither. `vaccine.code` is an ATC code of a vaccine (J07) or antibody (J06B).
  `targets` are listed once each. Recommendations leave out doses more than two years ahead;
  a reminder (`vaccination.due`) follows a booklet from its first entry on. In FHIR the
  patient is named by identifier (`urn:dhn:patient-id`), an entry's id has `-` for `_`, and
  an upcoming dose has HL7's forecast status `due`, its text `upcoming`.
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
  reads `GET /patient/record?for=`. Grants, blocks, hiding and closing (API.md: the patient
  only, and its `for=` list leaves out the record) take `for=` from one of a minor's
  `guardians` in the registry while the child is under 18 and the guardian's link works;
  any other `for=` there is 403, the same whether or not the patient exists (the access an
  adult accepted is to read and book on their behalf). A guardian's change is journaled for
  the child as `record.update`, before it is made. An `Idempotency-Key` sent again with
  another query (another `for=`) is 422, as with another body.
- The journal adds the action `document.upload` (a practice adding a document to the record).
- The journal adds the action `record.update` (a guardian changing a minor's record settings:
  object `record`, or `document` for hiding and unhiding).
"""

ROLES = """\
A token of one role: the operator's (a named person; in the local stack the configured
`DHN_OPERATOR_TOKEN`), a practice device's from enrolment (`doctor` or `assistant`), a pharmacy
device's from enrolment (`pharmacist`), or a `patient`'s or an `insurer`'s from the operator.
Each operation lists the roles it takes."""
