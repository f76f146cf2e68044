"""The channel between the grader and the process that runs a submission: plain values and
arrays, never code, and never stdout.

A frame is its length (8 bytes, little-endian) then a message; a message is the length of
its JSON header (4 bytes), the header, then the bytes of its arrays. In the header's tree a
JSON object is always a tag:

==================  ===========================================================
``{"t": [...]}``    a tuple (a JSON list is a list)
``{"d": [[k, v]]}`` a dict
``{"a": [dtype, shape, offset]}``  an array of numbers, booleans or text, its bytes at
                    ``offset`` in the message's bytes (``{"a": ["O", shape, [...]]}``: an
                    array of Python objects, each one tagged); extended precision
                    (``np.longdouble``) crosses as float64, an ``array.array`` or a
                    ``memoryview`` of numbers as an array
``{"s": [dtype, offset]}``  a NumPy scalar
``{"c": [re, im]}`` a complex number
``{"m": [data, mask]}``  a masked array
``{"o": "name"}``   anything else: only its type's name crosses (``Opaque``)
``{"h": n}``        a dict the child keeps between calls (an Adam step's ``state``)
``{"r": k}``        the k-th array argument of the call itself (an answer that is its input)
==================  ===========================================================

The reader believes nothing: a frame is at most ``MAX_FRAME`` bytes, a dtype is one of a few
plain kinds (checked by pattern before NumPy parses it), every array's size must equal the
bytes it claims, nesting is bounded, and nothing is unpickled. Standard library and NumPy
only: the child loads this file by its path (``sandbox/main.py``), before its guard is on.
"""

import array
import json
import re
import struct

import numpy as np

MAX_FRAME = 16 * 2**20  # bytes in one message: cases and answers are a few kilobytes
MAX_DEPTH = 40  # nesting of lists, tuples and dicts
MAX_ITEMS = 200_000  # values in one message (elements of object arrays included)
_LENGTH, _HEADER = struct.Struct("<Q"), struct.Struct("<I")
_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|c(8|16)|[US][0-9]{1,5})")


class WireError(ValueError):
    """A message that breaks the format (the grader treats its sender as broken)."""


class Opaque:
    """What an answer held that is not data (a function, a generator, a class of its own):
    only its type's name crossed. NumPy sees it as an object, never as a number."""

    def __init__(self, what: str) -> None:
        self.what = str(what)[:80]

    def __repr__(self) -> str:
        return f"<{self.what} from the submission>"


class Held:
    """A dict argument that stays in the child between calls (``{"h": n}``)."""

    def __init__(self, number: int) -> None:
        self.number = number


# --- writing --------------------------------------------------------------------------------

class _Writer:
    def __init__(self, refs: list | None, state: dict | None) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.items = 0
        self.refs = refs or []  # arrays written as {"r": k} when an answer is one of them
        self.state = state  # id(dict) -> handle, for the dicts the child keeps
        self.arrays: list[np.ndarray] = []  # the arrays written as data, in order

    def blob(self, data: bytes) -> int:
        offset = self.size
        self.chunks.append(data)
        self.size += len(data)
        if self.size > MAX_FRAME:
            raise WireError(f"more than {MAX_FRAME} bytes")
        return offset

    def array(self, a: np.ndarray) -> dict:
        for k, ref in enumerate(self.refs):
            if a is ref or (a.shape == ref.shape and a.size and np.shares_memory(a, ref)):
                return {"r": k}
        if isinstance(a, np.ma.MaskedArray):
            return {"m": [self.array(np.ma.getdata(a)), self.array(np.ma.getmaskarray(a))]}
        a = np.asarray(a)
        if a.dtype.kind == "O":
            self.items += a.size
            if self.items > MAX_ITEMS:
                return {"o": "array too large"}
            return {"a": ["O", list(a.shape), [self.value(v, 1) for v in a.reshape(-1)]]}
        if not _DTYPE.fullmatch(a.dtype.str):
            if a.dtype.kind not in "fc":
                return {"o": f"array of {a.dtype}"}
            a = a.astype(np.float64 if a.dtype.kind == "f" else np.complex128)  # longdouble
        self.arrays.append(a)
        return {"a": [a.dtype.str, list(a.shape), self.blob(np.ascontiguousarray(a).tobytes())]}

    def value(self, v: object, depth: int = 0) -> object:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            return {"o": "value nested too deeply or too large"}
        if isinstance(v, np.generic):  # before float: np.float64 is a float too
            if not _DTYPE.fullmatch(v.dtype.str) and v.dtype.kind in "fc":
                v = (np.float64 if v.dtype.kind == "f" else np.complex128)(v)  # longdouble
            if not _DTYPE.fullmatch(v.dtype.str):
                return {"o": type(v).__name__}
            return {"s": [v.dtype.str, self.blob(np.asarray(v).tobytes())]}
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if -2**63 <= v < 2**64 else float(v)
        if isinstance(v, float):
            return v
        if isinstance(v, complex):
            return {"c": [v.real, v.imag]}
        if isinstance(v, np.ndarray):
            return self.array(v)
        if isinstance(v, list):
            return [self.value(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"t": [self.value(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            if self.state is not None:
                return {"h": self.state.setdefault(id(v), len(self.state))}
            return {"d": [[self.value(k, depth + 1), self.value(x, depth + 1)]
                          for k, x in v.items()]}
        if isinstance(v, (array.array, memoryview)):
            try:  # a buffer of numbers (array.array("d", ...)): an array of them
                a = np.asarray(v)
            except (TypeError, ValueError):
                return {"o": type(v).__name__}
            return self.array(a) if a.dtype.kind in "biufc" else {"o": type(v).__name__}
        if hasattr(v, "__array__") or hasattr(v, "__array_interface__"):
            try:
                a = np.asarray(v)
            except Exception:  # noqa: BLE001 - whatever the object does, it is not data
                return {"o": type(v).__name__}
            if a.dtype.kind != "O":
                return self.array(a)
        return {"o": type(v).__name__}


def encode(header: dict, value: object = None, *, refs: list | None = None,
           state: dict | None = None) -> tuple[bytes, list[np.ndarray]]:
    """(the message, the arrays written as data in order). ``value`` goes under
    ``header["value"]``; ``refs``: arrays an answer may be (written as ``{"r": k}``);
    ``state``: id(dict) -> handle, so that dicts go as ``{"h": n}``."""
    writer = _Writer(refs, state)
    tree = dict(header, value=writer.value(value))
    text = json.dumps(tree, allow_nan=True).encode()
    return _HEADER.pack(len(text)) + text + b"".join(writer.chunks), writer.arrays


def frame(message: bytes) -> bytes:
    if len(message) > MAX_FRAME:
        raise WireError(f"a message of {len(message)} bytes, more than {MAX_FRAME}")
    return _LENGTH.pack(len(message)) + message


# --- reading --------------------------------------------------------------------------------

class _Reader:
    def __init__(self, blob: memoryview, refs: list | None, held: dict | None) -> None:
        self.blob, self.refs, self.held = blob, refs or [], held
        self.items = 0
        self.arrays: list[np.ndarray] = []

    def bytes_at(self, offset: object, size: int) -> memoryview:
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0 or \
                offset + size > len(self.blob):
            raise WireError("an array's bytes lie outside the message")
        return self.blob[offset:offset + size]

    def dtype(self, text: object) -> np.dtype:
        if not isinstance(text, str) or not _DTYPE.fullmatch(text):
            raise WireError(f"dtype {str(text)[:20]!r} is not one the channel carries")
        return np.dtype(text)

    def shape(self, shape: object) -> tuple[int, ...]:
        if not isinstance(shape, list) or len(shape) > 32 or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40
                for n in shape):
            raise WireError("a malformed shape")
        return tuple(shape)

    def array(self, spec: object) -> np.ndarray:
        if not isinstance(spec, list) or len(spec) != 3:
            raise WireError("a malformed array")
        shape = self.shape(spec[1])
        count = 1
        for n in shape:
            count *= n
        if spec[0] == "O":
            if not isinstance(spec[2], list) or len(spec[2]) != count:
                raise WireError("an object array of the wrong size")
            out = np.empty(count, dtype=object)
            for k, v in enumerate(spec[2]):
                out[k] = self.value(v, 1)
            return out.reshape(shape)
        dtype = self.dtype(spec[0])
        data = self.bytes_at(spec[2], count * dtype.itemsize)
        out = np.frombuffer(data, dtype=dtype, count=count).reshape(shape).copy()
        self.arrays.append(out)
        return out

    def value(self, v: object, depth: int = 0) -> object:
        self.items += 1
        if depth > MAX_DEPTH + 2 or self.items > MAX_ITEMS + 10:
            raise WireError("a value nested too deeply or too large")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) != 1:
            raise WireError("a malformed value")
        (tag, body), = v.items()
        if tag == "t" and isinstance(body, list):
            return tuple(self.value(x, depth + 1) for x in body)
        if tag == "d" and isinstance(body, list):
            out = {}
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("a malformed dict")
                key = self.value(pair[0], depth + 1)
                try:
                    out[key] = self.value(pair[1], depth + 1)
                except TypeError:  # an unhashable key (a list): not data an answer holds
                    raise WireError("a dict with an unhashable key") from None
            return out
        if tag == "a":
            return self.array(body)
        if tag == "s" and isinstance(body, list) and len(body) == 2:
            dtype = self.dtype(body[0])
            return np.frombuffer(self.bytes_at(body[1], dtype.itemsize), dtype=dtype)[0]
        if tag == "c" and isinstance(body, list) and len(body) == 2 and \
                all(isinstance(x, (int, float)) for x in body):
            return complex(body[0], body[1])
        if tag == "m" and isinstance(body, list) and len(body) == 2:
            data, mask = self.value(body[0], depth + 1), self.value(body[1], depth + 1)
            if not isinstance(data, np.ndarray) or not isinstance(mask, np.ndarray) or \
                    mask.shape != data.shape:
                raise WireError("a malformed masked array")
            return np.ma.masked_array(data, mask=mask.astype(bool))
        if tag == "o" and isinstance(body, str):
            return Opaque(body)
        if tag == "r" and isinstance(body, int) and 0 <= body < len(self.refs):
            return self.refs[body]
        if tag == "h" and isinstance(body, int) and self.held is not None:
            return self.held.setdefault(body, {})
        raise WireError("a malformed value")


def decode(message: bytes, *, refs: list | None = None, held: dict | None = None
           ) -> tuple[dict, list[np.ndarray]]:
    """(the header with its "value" rebuilt, the arrays read as data in order); raises
    ``WireError`` on anything malformed. ``refs``: what ``{"r": k}`` stands for; ``held``:
    handle -> dict, for ``{"h": n}`` (the child's side)."""
    view = memoryview(message)
    if len(view) < _HEADER.size:
        raise WireError("a message shorter than its header")
    (size,) = _HEADER.unpack_from(view)
    if _HEADER.size + size > len(view):
        raise WireError("a header longer than its message")
    try:
        tree = json.loads(bytes(view[_HEADER.size:_HEADER.size + size]))
    except (ValueError, RecursionError) as error:
        raise WireError(f"a header that is not JSON ({type(error).__name__})") from None
    if not isinstance(tree, dict) or not isinstance(tree.get("kind"), str):
        raise WireError("a header without a kind")
    reader = _Reader(view[_HEADER.size + size:], refs, held)
    try:
        tree["value"] = reader.value(tree.get("value"))
    except (RecursionError, MemoryError, ValueError, TypeError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(f"a value that cannot be read ({type(error).__name__})") from None
    return tree, reader.arrays


class Frames:
    """Cuts a byte stream into messages (``feed`` bytes, then ``next`` until None)."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self.buffer)
            if size > MAX_FRAME:
                raise WireError(f"a frame of {size} bytes, more than {MAX_FRAME}")

    def next(self) -> bytes | None:
        if len(self.buffer) < _LENGTH.size:
            return None
        (size,) = _LENGTH.unpack_from(self.buffer)
        if size > MAX_FRAME:
            raise WireError(f"a frame of {size} bytes, more than {MAX_FRAME}")
        if len(self.buffer) < _LENGTH.size + size:
            return None
        message = bytes(self.buffer[_LENGTH.size:_LENGTH.size + size])
        del self.buffer[:_LENGTH.size + size]
        return message
