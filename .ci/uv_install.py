"""Install requirements.txt and the project (editable) into the running venv with uv, from the
places pip installs from: pip's own settings (``pip config list``: its configuration files
and PIP_* variables, with pip's precedence, the variables over [install] over [global]) for
the index, extra indexes, find-links, constraints, certificates and no-index, picking the
best version among them as pip does. Exits with uv's status; .ci/run has pip install them
when this fails. Settings uv is not given (proxies, trusted hosts, ...) are pip's only."""

import ast
import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)
OPTIONS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url",
           "find-links": "--find-links", "constraint": "--constraint"}


def pip_settings() -> dict[str, str]:
    """pip's settings for ``pip install`` here (``settings`` of ``pip config list``)."""
    listed = subprocess.run([os.path.join(BIN, "pip"), "config", "list"], capture_output=True,
                            text=True).stdout
    return settings(listed)


def settings(listed: str) -> dict[str, str]:
    """name -> value from ``pip config list``'s lines (``section.name='value'``), the most
    precedent section's for each name, as ``pip install`` reads them: the environment's
    (``:env:``) over ``[install]`` over ``[global]``; other sections are not install's."""
    rank = {"global": 0, "install": 1, ":env:": 2}
    found: dict[str, tuple[int, str]] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        section, _, name = key.rpartition(".")
        if section not in rank or not value:
            continue
        if name not in found or rank[section] >= found[name][0]:
            found[name] = (rank[section], ast.literal_eval(value))
    return {name: value for name, (_, value) in found.items()}


def uv_options(pip: dict[str, str]) -> list[str]:
    """uv's options for pip's settings ``pip``: each index, extra index, find-links and
    constraints file (a value may list several, as pip's do), and no-index."""
    options = []
    for name, flag in OPTIONS.items():
        values = pip.get(name, "").split()
        for value in values[-1:] if name == "index-url" else values:
            options += [flag, value]
    if pip.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        options.append("--no-index")
    return options


def main() -> int:
    pip = pip_settings()
    command = [os.path.join(BIN, "uv"), "pip", "install", "--quiet", "--python", sys.executable,
               "--index-strategy", "unsafe-best-match", "-r", "requirements.txt", "-e", ".",
               *uv_options(pip)]
    env = dict(os.environ)
    if pip.get("cert"):
        env["SSL_CERT_FILE"] = pip["cert"]
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
