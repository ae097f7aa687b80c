"""The registry feed's bulk import: 10,000 patients with a few bad lines, interrupted midway
by Ctrl-C and resumed, counts every line once and writes the refused ones with their reasons."""

from __future__ import annotations

import csv
import json
import os
import signal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.core import clock, config
from chalicelib.domain.registry import Patient
from chalicelib.services import identity, registry
from chalicelib.services.identity import Principal
from tests.matricules import matricule
from tests.ops.conftest import ops

PATIENTS = 10_000


def person(index: int) -> dict[str, Any]:
    born = date(1940, 1, 1) + timedelta(days=index // 100)
    return {
        "matricule": matricule(born.strftime("%Y%m%d"), f"{index % 100 + 1:03d}"),
        "name": f"Patient {index}",
        "insurer": "CNS" if index % 3 else "CMFEP",
        "digital_admin": "opted_in" if index % 2 else "opted_out",
        "app_active": index % 5 == 0,
    }


# Line number → (the line, the reasons the import gives for refusing it).
BAD: dict[int, tuple[str, list[str]]] = {
    17: (json.dumps({**person(17), "matricule": "1893120105733"}), ["matricule: invalid check digits"]),
    1_234: (
        json.dumps({**person(1_234), "insurer": "AXA"}),
        ["insurer: Input should be 'CNS', 'CMFEP', 'CMFEC', 'EMCFL' or 'RCAM'"],
    ),
    4_999: ('{"matricule": "1893120105732", "name": ', ["the body is not valid JSON"]),
    5_001: (json.dumps({k: v for k, v in person(5_001).items() if k != "name"}), ["name: Field required"]),
    7_777: (
        json.dumps({**person(7_777), "app_active": "yes"}),
        ["app_active: Input should be a valid boolean"],
    ),
    8_888: (json.dumps({**person(8_888), "nickname": "Mimi"}), ["nickname: Extra inputs are not permitted"]),
    9_999: (json.dumps([person(9_999)]), ["body: must be a JSON object"]),
}
# Patients the registry holds before the import, and a line repeating an earlier one: updated.
KNOWN = [3, 2_500, 6_000, 9_000, 9_998]
REPEATED = {6_500: 6_400}


def feed(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, PATIENTS + 1):
            if number in BAD:
                out.write(BAD[number][0] + "\n")
            else:
                out.write(json.dumps(person(REPEATED.get(number, number))) + "\n")
    return path


def registered_as(matricule: str) -> Patient:
    from chalicelib.store import identity as registry_store

    found = registry_store.get_patient(matricule)
    assert found is not None
    return found


def as_feed(fields: dict[str, Any]) -> registry.Feed:
    return registry.Feed(fields["name"], fields["insurer"], fields["digital_admin"], fields["app_active"], ())


def registered() -> int:
    table = config.table_name("patients")
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table, Select="COUNT")
    return sum(page["Count"] for page in pages)


def test_interrupted_midway_and_resumed(tmp_path: Path, aws: object, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in KNOWN:
        registry.register(
            identity.console_operator("test"),
            person(number)["matricule"],
            as_feed({**person(number), "name": "Old name"}),
            clock.current(),
        )
    path = feed(tmp_path / "registry.jsonl")
    calls: list[str] = []
    register_or_replace = registry.register_or_replace

    def register_and_interrupt_once(
        caller: Principal, matricule: str, fed: registry.Feed, at: Any
    ) -> tuple[Patient, bool]:
        calls.append(matricule)
        if len(calls) == PATIENTS // 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as the operator would press it
        return register_or_replace(caller, matricule, fed, at)

    monkeypatch.setattr(registry, "register_or_replace", register_and_interrupt_once)

    first = ops("registry", "import", str(path))
    assert first.exit_code == 130, first.output
    assert "Stopped before the end" in first.stdout
    # The line under way when Ctrl-C came was finished and recorded, and nothing after it.
    checkpoint = [
        json.loads(line) for line in (tmp_path / "registry.jsonl.checkpoint").read_text().splitlines()
    ]
    done = [entry["line"] for entry in checkpoint[1:]]
    stopped_at = next(n for n in range(1, PATIENTS) if n - sum(b <= n for b in BAD) == PATIENTS // 2)
    assert done == list(range(1, stopped_at + 1))

    second = ops("registry", "import", str(path))
    assert second.exit_code == 0, second.output
    good = PATIENTS - len(BAD)
    updated = len(KNOWN) + len(REPEATED)
    summary = f"created {good - updated}, updated {updated}, refused {len(BAD)} ({PATIENTS} lines done)"
    assert summary in second.stdout
    # Every good line went to the registry once, over both runs: nothing was counted twice.
    assert len(calls) == good
    assert registered() == good - len(REPEATED)
    assert registered_as(person(2_500)["matricule"]).insurer == person(2_500)["insurer"]

    refused = [
        json.loads(line) for line in (tmp_path / "registry.jsonl.refused.jsonl").read_text().splitlines()
    ]
    assert refused == [
        {"line": number, "reasons": reasons, "input": text} for number, (text, reasons) in BAD.items()
    ]

    third = ops("registry", "import", str(path))
    assert third.exit_code == 0
    assert summary in third.stdout
    assert len(calls) == good


CSV_FIELDS = ["matricule", "name", "insurer", "digital_admin", "app_active"]


def csv_feed(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def text_cells(fields: dict[str, Any]) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}


@pytest.mark.usefixtures("aws")
def test_csv_in_batches_with_a_limit(tmp_path: Path) -> None:
    rows = [text_cells(person(i)) for i in range(25)]
    rows[10]["app_active"] = "maybe"
    rows[20]["insurer"] = ""
    path = csv_feed(tmp_path / "feed.csv", rows)

    first = ops("registry", "import", str(path), "--limit", "10")
    assert first.exit_code == 0, first.output
    assert "created 10, updated 0, refused 0 (10 lines done)" in first.stdout
    assert "Stopped before the end" in first.stdout
    second = ops("registry", "import", str(path))
    assert "created 23, updated 0, refused 2 (25 lines done)" in second.stdout
    assert registered_as(person(5)["matricule"]).app_active is True
    refused = [json.loads(line) for line in (tmp_path / "feed.csv.refused.jsonl").read_text().splitlines()]
    assert [(r["line"], r["reasons"]) for r in refused] == [
        (12, ["app_active: Input should be a valid boolean, unable to interpret input"]),
        (22, ["insurer: Field required"]),
    ]
    assert refused[0]["input"]["app_active"] == "maybe"


@pytest.mark.usefixtures("aws")
def test_a_checkpoint_resumes_only_its_own_file(tmp_path: Path) -> None:
    path = csv_feed(tmp_path / "feed.csv", [text_cells(person(i)) for i in range(3)])
    assert ops("registry", "import", str(path)).exit_code == 0
    csv_feed(path, [text_cells(person(i)) for i in range(4)])
    changed = ops("registry", "import", str(path))
    assert changed.exit_code == 2
    assert "--restart" in changed.stderr
    again = ops("registry", "import", str(path), "--restart")
    assert "created 1, updated 3, refused 0 (4 lines done)" in again.stdout


@pytest.mark.usefixtures("aws")
def test_an_entry_cut_short_by_a_crash_is_done_again(tmp_path: Path) -> None:
    path = csv_feed(tmp_path / "feed.csv", [text_cells(person(i)) for i in range(3)])
    assert ops("registry", "import", str(path), "--limit", "2").exit_code == 0
    checkpoint = tmp_path / "feed.csv.checkpoint"
    whole = checkpoint.read_text()
    checkpoint.write_text(whole[: whole.rstrip("\n").rfind("\n") + 1] + '{"line": 3, "outc')
    resumed = ops("registry", "import", str(path))
    assert "created 2, updated 1, refused 0 (3 lines done)" in resumed.stdout
