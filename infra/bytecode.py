"""The functions' code ships with its bytecode.

Lambda unpacks the code on a read-only file system, where Python cannot keep what it
compiles: without bytecode in the package, every cold start compiles each module it imports
from source. The bytecode is checked against its source's hash, not its time stamp: a zip
keeps times to two seconds only, and a hash stays right however the package is unpacked (a
source changed in place is compiled again, never run stale).
"""

from __future__ import annotations

import importlib.util
import py_compile
import shutil
import tempfile
import zipfile
from pathlib import Path


def bytecode(source: bytes, path: str) -> bytes:
    """The hash-checked bytecode of a module whose source is `source`, at `path` in the
    package; its name there is `importlib.util.cache_from_source(path)`."""
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp, "module.py")
        written.write_bytes(source)
        compiled = Path(tmp, "module.pyc")
        py_compile.compile(
            str(written),
            cfile=str(compiled),
            dfile=path,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        return compiled.read_bytes()


def add_bytecode(archive: Path) -> int:
    """Add, beside every module of the zip `archive`, its bytecode for this Python, which is
    the runtime's: Chalice names the runtime after the Python that packages. How many modules
    it compiled."""
    rewritten = archive.with_suffix(".bytecode.zip")
    count = 0
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out:
        entries = original.infolist()
        present = {entry.filename for entry in entries}
        for entry in entries:
            data = original.read(entry)
            out.writestr(entry, data)
            cached = (
                importlib.util.cache_from_source(entry.filename) if entry.filename.endswith(".py") else None
            )
            if cached is None or cached in present:
                continue
            pyc = zipfile.ZipInfo(cached, date_time=entry.date_time)
            pyc.external_attr = entry.external_attr
            pyc.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(pyc, bytecode(data, entry.filename))
            count += 1
    shutil.move(rewritten, archive)
    return count
