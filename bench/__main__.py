"""`make bench`: every benchmark of DHN, printed as one table of figures and ratios."""

from __future__ import annotations

import importlib
import sys

# Each module has `run() -> dict[str, float]`; targets are stated in its docstring.
MODULES = [
    "bench.coldstart",
    "bench.render",
    "bench.invoices",
    "bench.appointments",
    "bench.claims",
    "bench.webhooks",
]


def main() -> None:
    chosen = sys.argv[1:] or MODULES
    for name in chosen:
        module = importlib.import_module(name)
        print(f"\n== {name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        for figure, value in module.run().items():
            print(f"  {figure:40} {value:12.2f}")


if __name__ == "__main__":
    main()
