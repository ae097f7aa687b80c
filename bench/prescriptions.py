"""Prescriptions through the API, in-process on moto: AWS calls per accept, dispense and close,
and accepts per second.

One pharmacy takes 100 prescriptions of one patient through accept, dispense and close, after
one warm-up round that pays for the lazy imports. Targets: an accept at most 6 calls (the
credential, the prescription, the pharmacy's name for the journal, the journal's transaction,
which a first access in 30 days makes two, and the conditional write), a dispense 5, a close 3,
and no Scan. Accepts per second include moto, which stands in for AWS: compare them between
commits, not with AWS.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

from bench import fakeaws

ITERATIONS = 100
PHARMACY = "412345"
TARGETS = {
    "aws_calls_per_accept": 6.0,
    "aws_calls_per_dispense": 5.0,
    "aws_calls_per_close": 3.0,
    "scans_on_request_path": 0.0,
}
ITEMS = [
    {
        "medication": {"code": "0012345", "name": "Paracétamol 500 mg, 20 comprimés"},
        "quantity": 1,
        "dosage": "1 comprimé 3 fois par jour",
        "substitution_allowed": True,
    }
]


def run(iterations: int = ITERATIONS) -> dict[str, float]:
    calls: dict[str, list[int]] = {"accept": [], "dispense": [], "close": []}
    accept_seconds: list[float] = []
    operations: Counter[str] = Counter()
    with fakeaws.api() as api:
        doctor = api.doctor()
        api.patient()
        made = api.post(
            "/pharmacies", api.operator, {"pharmacy_code": PHARMACY, "name": "Pharmacie du Globe"}
        )
        pharmacist = api.post(
            "/devices", None, {"enrolment_code": made["enrolment_code"], "device_name": "Caisse"}
        )
        token = pharmacist["token"]
        body = {"patient_matricule": fakeaws.PATIENT, "items": ITEMS, "repeats": 0}
        for n in range(iterations + 1):
            rx = api.post("/prescriptions", doctor, body)
            with api.meter.window() as accepting:
                started = time.perf_counter()
                accepted = api.post("/pharmacy/prescriptions/accept", token, {"qr": rx["qr"]})
                elapsed = time.perf_counter() - started
            secret, base = accepted["secret"], f"/pharmacy/prescriptions/{rx['id']}"
            with api.meter.window() as dispensing:
                api.post(
                    f"{base}/dispense", token, {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
                )
            with api.meter.window() as closing:
                api.post(f"{base}/close", token, {"secret": secret})
            if n == 0:
                continue  # the warm-up round
            accept_seconds.append(elapsed)
            for name, made_calls in (("accept", accepting), ("dispense", dispensing), ("close", closing)):
                calls[name].append(sum(made_calls.calls.values()))
                operations.update(made_calls.calls)
    scans = sum(n for name, n in operations.items() if name.endswith(".Scan"))
    return {
        "aws_calls_per_accept": max(calls["accept"]),
        "aws_calls_per_dispense": max(calls["dispense"]),
        "aws_calls_per_close": max(calls["close"]),
        "accepts_per_second": len(accept_seconds) / sum(accept_seconds),
        "accept_median_ms": statistics.median(accept_seconds) * 1000,
        "scans_on_request_path": scans,
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.prescriptions"])
