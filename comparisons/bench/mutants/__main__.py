"""``python -m comparisons.bench.mutants``."""

from comparisons.bench.mutants.cli import main

raise SystemExit(main())
