"""`python -m voicecoach.bench NAME [options]`: run one benchmark (a module in this package)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import voicecoach.bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(voicecoach.bench.__path__))
    names = [n for n in names if not n.startswith("_")]
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in names:
        print("usage: python -m voicecoach.bench {" + ",".join(names) + "} [options]")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(f"voicecoach.bench.{argv[0]}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
