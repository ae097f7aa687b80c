"""`make bench`: every benchmark of DHN, printed as one table of figures, ratios and targets.

`python -m bench bench.claims` runs only the benchmarks named.
"""

from __future__ import annotations

import sys

from bench import table

# Each module has `run() -> dict[str, float]`; its targets are stated in its docstring and
# in `TARGETS`.
MODULES = [
    "bench.coldstart",
    "bench.render",
    "bench.invoices",
    "bench.route_calls",
    "bench.appointments",
    "bench.claims",
    "bench.journal",
    "bench.bounded_pages",
    "bench.webhooks",
    "bench.registry_import",
    "bench.package",
    "bench.prescriptions",
    "bench.certificates",
    "bench.vaccinations",
    "bench.records",
]


if __name__ == "__main__":
    table.main(sys.argv[1:] or MODULES)
