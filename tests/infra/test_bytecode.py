"""The bytecode added to the function's zip is what Python runs from the unpacked package,
writing nothing (Lambda's file system is read-only), and a source changed after packaging is
compiled again. `zipfile` unpacks without the entries' times, so bytecode checked by time
stamp would be compiled again here too: these tests tell the two apart."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.bytecode import add_bytecode

MODULES = {
    "app.py": "import pkg.mod\nVALUE = pkg.mod.VALUE\n",
    "pkg/__init__.py": "",
    "pkg/mod.py": "VALUE = 1\n",
}
WHEN = (2026, 12, 1, 8, 30, 0)


def _package(path: Path) -> Path:
    archive = path / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, source in MODULES.items():
            entry = zipfile.ZipInfo(name, date_time=WHEN)
            entry.external_attr = (stat.S_IFREG | 0o644) << 16
            out.writestr(entry, source)
    return archive


def _import_app(root: Path) -> subprocess.CompletedProcess[str]:
    """`import app` in a fresh interpreter on `root`, telling where each module's code came from."""
    return subprocess.run(
        [sys.executable, "-v", "-c", "import app; print(app.VALUE)"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )


def _unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    return into


def test_every_module_gets_its_bytecode_beside_it_with_the_entry_s_time_and_mode(tmp_path: Path) -> None:
    archive = _package(tmp_path)

    assert add_bytecode(archive) == len(MODULES)

    with zipfile.ZipFile(archive) as opened:
        entries = {entry.filename: entry for entry in opened.infolist()}
        assert {opened.read(name).decode() for name in MODULES} == set(MODULES.values())
    for name in MODULES:
        cached = entries[importlib.util.cache_from_source(name)]
        assert cached.date_time == WHEN
        assert cached.external_attr == entries[name].external_attr
    assert len(entries) == 2 * len(MODULES)
    # Packaging again adds nothing: each module has its bytecode already.
    assert add_bytecode(archive) == 0


def test_the_unpacked_package_runs_its_bytecode(tmp_path: Path) -> None:
    archive = _package(tmp_path)
    add_bytecode(archive)
    root = _unpack(archive, tmp_path / "task")

    ran = _import_app(root)

    assert ran.stdout.strip() == "1"
    for name in MODULES:
        assert f"code object from '{root / importlib.util.cache_from_source(name)}'" in ran.stderr


def test_a_source_changed_after_packaging_is_compiled_again(tmp_path: Path) -> None:
    archive = _package(tmp_path)
    add_bytecode(archive)
    root = _unpack(archive, tmp_path / "task")
    (root / "pkg" / "mod.py").write_text("VALUE = 2\n")

    ran = _import_app(root)

    assert ran.stdout.strip() == "2"
    assert f"code object from '{root / importlib.util.cache_from_source('pkg/mod.py')}'" not in ran.stderr
