"""``python -m comparisons``: train the twins on XOR and digits and print what agrees."""

import sys

try:
    from comparisons.cli import main
except KeyboardInterrupt:  # Ctrl-C while torch and the rest load: nothing has started yet
    print("python -m comparisons: interrupted; no report was written.", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
