"""The commands' argument parser: argparse's, with a wrong argument said in one line.

argparse prints its whole usage before the error; a script, a CI log or a person reading a
terminal then has to find the sentence that matters. ``Parser.error`` prints only that
sentence, with a pointer to ``--help``, and exits with argparse's status 2. Standard library
only: every command checks its arguments before it imports anything heavy.
"""

import argparse
import sys
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line: "PROG: error: ... (--help)"."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)
