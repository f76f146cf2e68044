"""Reading a ``.npz`` archive without trusting it.

``np.load`` on an ``.npz`` reads a member only when asked, but it believes what the member
says: a member can claim terabytes (``MemoryError``), a small deflated member can inflate to
gigabytes, and a damaged one fails with whatever the zip or the ``.npy`` reader raises. Here
the archive is inspected first (the number of members and the size of the central directory
its end record declares, before ``zipfile`` reads that directory; every member's name,
compression, encryption flag, and the shape and dtype its ``.npy`` header declares), the
caller checks those against what it expects and a byte budget, and only then are arrays read,
each with exactly the bytes its header promises and its CRC checked. Every problem is a
``ValueError``.
"""

import os
import re
import stat
import struct
import zipfile
from dataclasses import dataclass

import numpy as np

NPY_MAGIC = np.lib.format.MAGIC_PREFIX  # b"\x93NUMPY"
_ALLOWED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# The zip format's end records (APPNOTE.TXT 4.3.14 to 4.3.16): the end of central directory
# record (22 bytes and a comment of up to 65,535), and before it, in a ZIP64 archive, the
# ZIP64 end record (56 bytes) and its locator (20 bytes).
# END: signature, 2 disk numbers, entries on this disk, entries, directory size and offset,
# comment length; END64: signature, record size, 2 versions, 2 disk numbers, entries on this
# disk, entries, directory size and offset; LOCATOR64: signature, disk, offset, disks.
END = struct.Struct("<4s4H2LH")
END64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR64 = struct.Struct("<4sLQL")
MAX_COMMENT = 65535
ENTRY_BYTES = 46 + 256 + 64  # a central directory entry: its fixed part, a name, extra fields


class ArchiveError(ValueError):
    """What is wrong with the archive, in words."""


@dataclass
class Member:
    """One array of the archive as its ``.npy`` header declares it (no data read yet)."""

    name: str  # without ".npy"
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int  # bytes of .npy header before the data

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize


def _read_npy_header(stream, name: str) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ArchiveError(f"member {name!r} has .npy format version {version}")
    except ArchiveError:
        raise
    except Exception as error:  # noqa: BLE001 - numpy raises ValueError, SyntaxError, ...
        raise ArchiveError(f"member {name!r} is not a readable .npy array ({error})") from None
    if dtype.hasobject:
        raise ArchiveError(f"member {name!r} holds Python objects (pickle), refused")
    return tuple(shape), dtype, bool(fortran), stream.tell()


def central_directory(path: str | os.PathLike) -> tuple[int, int]:
    """(members, bytes) of the archive's central directory, as its end record declares them
    (the ZIP64 end record's, when there is one); reads at most the last 64 KiB of the file,
    never the directory itself."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        tail_start = max(0, size - END.size - MAX_COMMENT)
        f.seek(tail_start)
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")  # the last record whose comment ends the file
    while at >= 0 and (len(tail) - at < END.size or
                       at + END.size + END.unpack_from(tail, at)[-1] != len(tail)):
        at = tail.rfind(b"PK\x05\x06", 0, at)
    if at < 0:
        raise ArchiveError("it is not a zip archive (no end of central directory record)")
    _, _, _, here, members, cd_bytes, _, _ = END.unpack_from(tail, at)
    members = max(here, members)
    locator = at - LOCATOR64.size
    if locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        record = locator - END64.size
        if record < 0 or tail[record:record + 4] != b"PK\x06\x06":
            raise ArchiveError("its ZIP64 end record is missing or damaged")
        _, _, _, _, _, _, here, members, cd_bytes, _ = END64.unpack_from(tail, record)
        members = max(here, members)
    return members, cd_bytes


class SafeNpz:
    """An ``.npz`` archive opened for inspection; use as a context manager.

    ``allowed`` is a regular expression that every member name (without ``.npy``) must match
    in full, and there may be at most ``max_members``; ``members`` maps each name to its
    ``Member``.
    """

    def __init__(self, path: str | os.PathLike, allowed: str, max_members: int = 4096) -> None:
        self.path = path
        kind = os.stat(path).st_mode  # FileNotFoundError passes through
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(f"{os.fspath(path)!r} is a folder, not a model file")
        if not stat.S_ISREG(kind):  # a FIFO would block, /dev/zero never end
            raise ArchiveError("it is not a regular file (a FIFO, a device or a socket)")
        with open(path, "rb") as f:
            start = f.read(len(NPY_MAGIC))
        if start == NPY_MAGIC:
            raise ArchiveError("it is a single .npy array, not an .npz archive")
        members, cd_bytes = central_directory(path)  # zipfile would read every entry first
        if members > max_members:
            raise ArchiveError(f"it declares {members:,} members, more than {max_members:,}")
        if cd_bytes > max_members * ENTRY_BYTES:
            raise ArchiveError(f"its central directory declares {cd_bytes:,} bytes, more than "
                               f"{max_members:,} members need")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise ArchiveError(f"it is not a zip archive ({error})") from None
        try:
            if len(self.zip.infolist()) > max_members:
                raise ArchiveError(f"it holds {len(self.zip.infolist())} members, more than "
                                   f"{max_members}")
            self.members = self._inspect(allowed)
        except BaseException:
            self.zip.close()
            raise

    def _inspect(self, allowed: str) -> dict[str, Member]:
        infos = self.zip.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ArchiveError("it holds the same member name twice")
        members = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise ArchiveError(f"it holds {info.filename!r}, which is not an .npy member")
            name = info.filename[:-4]
            if not re.fullmatch(allowed, name):
                raise ArchiveError(f"it holds an unexpected member {name!r}")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"member {name!r} is encrypted")
            if info.compress_type not in _ALLOWED_COMPRESSION:
                raise ArchiveError(f"member {name!r} uses an unsupported compression "
                                   f"(method {info.compress_type})")
            try:
                with self.zip.open(info) as stream:
                    shape, dtype, fortran, offset = _read_npy_header(stream, name)
            except ArchiveError:
                raise
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
                raise ArchiveError(f"member {name!r} cannot be read ({error})") from None
            member = Member(name, info, shape, dtype, fortran, offset)
            if info.file_size != offset + member.nbytes:
                raise ArchiveError(
                    f"member {name!r} declares {shape} {dtype} ({member.nbytes} bytes) but its "
                    f"entry holds {info.file_size - offset} bytes of data")
            members[name] = member
        return members

    def read(self, name: str) -> np.ndarray:
        """The array of member ``name``: exactly the bytes its header promises, CRC-checked."""
        member = self.members[name]
        data = np.empty(member.nbytes, dtype=np.uint8)  # read into place: no second copy
        view, got = memoryview(data), 0
        try:
            with self.zip.open(member.info) as stream:
                stream.read(member.data_offset)
                while got < member.nbytes:
                    n = stream.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got != member.nbytes or stream.read(1):  # reading to the end checks the CRC
                    raise ArchiveError(f"member {name!r} does not hold the bytes it declares")
        except ArchiveError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
            raise ArchiveError(f"member {name!r} is damaged ({error})") from None
        order = "F" if member.fortran_order else "C"
        return data.view(member.dtype).reshape(member.shape, order=order)

    def __enter__(self) -> "SafeNpz":
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()
