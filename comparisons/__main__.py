"""``python -m comparisons``: train the twins on XOR and digits and print what agrees."""

import sys

from comparisons.cli import main

sys.exit(main())
