"""``python -m comparisons.bench``."""

from comparisons.bench.cli import main

raise SystemExit(main())
