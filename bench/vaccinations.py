"""Recommendations for a patient with 40 vaccinations (target: median ≤ 5 ms), in JSON's
records and as FHIR, and what importing the app loads of the FHIR library (target: nothing).

The engine reads the whole schedule against the booklet on every call (no cache: a booklet
changes with each entry). The FHIR figure builds and validates the ImmunizationRecommendation
with fhir.resources; its first call, which imports the library, is left out and reported as
`fhir_first_call_ms`, paid only by a request that asks for FHIR. The cold import ratio itself
is `bench.coldstart`'s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ITERATIONS = 200
ENTRIES = 40
TARGETS = {"recommendations_median_ms": 5.0, "fhir_modules_at_import": 0.0}
NOTES = {
    "recommendations_median_ms": "40 entries of a 40-year-old, every row of the schedule",
    "fhir_first_call_ms": "imports fhir.resources' models: only a request asking for FHIR pays it",
}
_PROBE = "import sys, app; print(sum(1 for m in sys.modules if m.split('.')[0] in ('fhir', 'fhir_core')))"


def _booklet() -> list[object]:
    from chalicelib.domain.vaccinations import Recorder, Vaccination

    series = [
        ("J07CA09", ("diphtheria", "tetanus", "pertussis", "polio", "hib", "hepatitis_b")),
        ("J07AL02", ("pneumococcal",)),
        ("J07BD52", ("measles", "mumps", "rubella")),
        ("J07BB02", ("influenza",)),
    ]
    born = date(1986, 3, 1)
    return [
        Vaccination(
            vaccination_id=f"vac_01KAAAAAAAAAAAAAAAAAAAAA{n:02d}",
            patient="1986030100123",
            vaccine_code=series[n % 4][0],
            vaccine_name="Vaccin",
            targets=series[n % 4][1],
            dose_number=None,
            given_on=born + timedelta(days=60 + 180 * n),
            lot_number=None,
            verified=True,
            recorded_at=datetime(2026, 11, 23, tzinfo=UTC),
            recorded_by=Recorder("practice", "123456-78", "Dr Anne Weber"),
        )
        for n in range(ENTRIES)
    ]


def run() -> dict[str, float]:
    from chalicelib.domain import vaccination_schedule as engine
    from chalicelib.render import fhir

    entries = _booklet()
    plan, today, born = engine.schedule(), date(2026, 11, 23), date(1986, 3, 1)
    timings: list[float] = []
    for _ in range(ITERATIONS):
        start = time.perf_counter()
        engine.in_view(engine.evaluate(plan, born, entries, today), today)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - start) * 1000)
    items = engine.in_view(engine.evaluate(plan, born, entries, today), today)  # type: ignore[arg-type]
    start = time.perf_counter()
    fhir.recommendation("pat_01KBBBBBBBBBBBBBBBBBBBBBBB", items, plan.version, today)
    first = (time.perf_counter() - start) * 1000
    fhir_timings: list[float] = []
    for _ in range(ITERATIONS // 4):
        start = time.perf_counter()
        fhir.recommendation("pat_01KBBBBBBBBBBBBBBBBBBBBBBB", items, plan.version, today)
        fhir_timings.append((time.perf_counter() - start) * 1000)
    loaded = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {
        "recommendations_median_ms": statistics.median(timings),
        "recommendations_p95_ms": statistics.quantiles(timings, n=20)[-1],
        "recommendations_fhir_median_ms": statistics.median(fhir_timings),
        "fhir_first_call_ms": first,
        "fhir_modules_at_import": float(loaded.stdout.strip()),
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.vaccinations"])
