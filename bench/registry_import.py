"""The registry feed's bulk import (`python -m ops registry import`), in-process on moto:
patients per second, created and then updated.

A JSON Lines file of 2,000 patients goes through the command line's importer (the same
validation as `POST /v1/patients`, the registry service, the checkpoint and the progress bar)
twice: once into an empty registry, then again from the start, replacing every patient. The
rates include moto, which stands in for DynamoDB (one conditional PutItem per created patient,
a refused one and a PutItem per updated one): compare them between commits, not with AWS.
"""

from __future__ import annotations

import io
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench import fakeaws
from tests.matricules import matricule

PATIENTS = 2_000
NOTES = {
    "import_created_per_s": "in-process moto, no network",
    "import_updated_per_s": "in-process moto, no network",
}


def _feed(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(PATIENTS):
            born = date(1950, 1, 1) + timedelta(days=n // 100)
            patient = {
                "matricule": matricule(born.strftime("%Y%m%d"), f"{n % 100 + 1:03d}"),
                "name": f"Patient {n}",
                "insurer": "CNS",
                "digital_admin": "opted_in",
                "app_active": True,
            }
            out.write(json.dumps(patient) + "\n")


def run() -> dict[str, float]:
    with fakeaws.aws(), tempfile.TemporaryDirectory() as folder:
        from rich.console import Console

        from chalicelib.core import clock
        from chalicelib.services import identity
        from ops import feed, registry_import

        path = Path(folder) / "registry.jsonl"
        _feed(path)
        rates: list[float] = []
        for run_number in range(2):
            files = registry_import.Files.beside(path, Path(folder) / f"run-{run_number}.checkpoint", None)
            started = time.perf_counter()
            summary = registry_import.run(
                files,
                feed.Format.jsonl,
                identity.console_operator("bench"),
                clock.current(),
                Console(file=io.StringIO()),
            )
            rates.append(summary.lines / (time.perf_counter() - started))
            assert summary.lines == PATIENTS and summary.refused == 0
    return {"import_created_per_s": rates[0], "import_updated_per_s": rates[1]}
