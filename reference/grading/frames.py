"""What the grader believes of a frame from the process that runs a submission: nothing it
has not checked. The student's code can write on the channel (its descriptor is in its own
process), so every header is read here against the shape its kind allows, before any of it
is used: its kind one of the child's, each field of the type it must have, each string cut
and made printable (``text.py``), each list bounded. A header that breaks any of this is
``Malformed``, which the grader turns into a result for the exercise (or the cell) at hand:
the submission's process sent something the grader cannot read. Fields a kind does not know
are dropped.
"""

from reference.grading.text import MESSAGE, NAME, printable

MAX_LIST = 64  # names in "defined", imports in "refused", arrays in "wrote", keys of a state


class Malformed(ValueError):
    """A frame the grader cannot read (the sentence says what was wrong)."""


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not -2**31 <= value < 2**31:
        raise Malformed(f"{what} is not a whole number")
    return value


def _str(value: object, what: str, limit: int = MESSAGE) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{what} is not text")
    return printable(value, limit)


def _list(value: object, what: str) -> list:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise Malformed(f"{what} is not a short list")
    return value


def _where(value: object) -> list | None:
    if value is None:
        return None
    pair = _list(value, "where")
    if len(pair) != 2:
        raise Malformed("where is not [file, line]")
    return [_str(pair[0], "where's file", NAME), _int(pair[1], "where's line")]


def _refused(value: object) -> list:
    return [[_str(what, "a refusal", NAME), _str(why, "a refusal", NAME)]
            for what, why in (_pair(r) for r in _list(value, "refused"))][:3]


def _pair(value: object) -> list:
    if not isinstance(value, list) or len(value) != 2:
        raise Malformed("a refusal is not [what, why]")
    return value


def _failure(header: dict, out: dict) -> None:
    """The fields of an exception or an exit (a cell's "done", a call's "failed")."""
    if "exit" in header:
        out["exit"] = _str(header["exit"], "exit", 60)
    elif "raised" in header:
        out["raised"] = _str(header["raised"], "raised", 60)
        out["message"] = _str(header.get("message", ""), "message")
        out["builtin"] = header.get("builtin") is True
        out["refused"] = _refused(header.get("refused", []))
    else:
        return
    out["where"] = _where(header.get("where"))


def _states(value: object) -> dict:
    if not isinstance(value, dict) or len(value) > MAX_LIST:
        raise Malformed("states is not a short dict")
    return {_str(handle, "a state's handle", 20): [_str(k, "a state's key", 40)
                                                   for k in _list(keys, "a state's keys")]
            for handle, keys in value.items()}


def check(header: dict) -> dict:
    """The header, as the grader may use it (its strings printable and cut), or
    ``Malformed``. The "value" of an answer has already been read by ``wire.decode``."""
    kind = header.get("kind")
    out: dict = {"kind": kind}
    if kind == "hello":
        out.update(landlock=_int(header.get("landlock", 0), "landlock"),
                   seccomp=header.get("seccomp") is True, pid=_int(header.get("pid", 0), "pid"))
    elif kind == "cell":
        out["cell"] = _int(header.get("cell"), "cell")
    elif kind == "statement":
        out.update(cell=_int(header.get("cell"), "cell"),
                   statement=_int(header.get("statement"), "statement"),
                   line=_int(header.get("line"), "line"))
    elif kind == "done":
        out["cell"] = _int(header.get("cell"), "cell")
        for key in ("statement", "stopped"):
            if key in header:
                out[key] = _int(header[key], key)
        _failure(header, out)
    elif kind == "loaded":
        out["defined"] = [_str(n, "a name", NAME) for n in _list(header.get("defined"),
                                                                  "defined")]
    elif kind in ("answer", "failed", "unreadable"):
        out["id"] = _int(header.get("id"), "id")
        if kind == "answer":
            out["wrote"] = [_int(k, "wrote") for k in _list(header.get("wrote", []), "wrote")]
            out["states"] = _states(header.get("states", {}))
            out["value"] = header.get("value")
        elif kind == "failed":
            _failure(header, out)
            if not ("exit" in out or "raised" in out):
                raise Malformed("a failure that neither raised nor exited")
        else:
            out["message"] = _str(header.get("message", ""), "message")
    else:
        raise Malformed(f"a frame of kind {printable(kind, 40)!r}")
    return out
