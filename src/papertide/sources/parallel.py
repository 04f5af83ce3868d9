"""Reading files in a second process, so that parsing (one core) and writing (the other) overlap.

Parsing a metadata snapshot costs about as much CPU as writing it into the catalogue, and the GIL
keeps a thread from helping (measured: a parser thread made imports slower). A child process runs
`read_path` and writes its records to its stdout in batches. Papers travel as plain tuples:
pickling the frozen dataclasses themselves costs ~110 µs a record (their slots are pickled through
Python-level hooks), tuples ~16 µs, and rebuilding the Paper on this side ~12 µs.

The pipe is the only buffer: when the writer falls behind, the reader blocks on its write, so
memory stays flat whatever the file size. If this process dies (even by SIGKILL), the reader's next
write fails on the closed pipe and it exits; if the reader dies, this side reads the end of the pipe
and the import stops with an error instead of waiting for ever.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from papertide.model import Author, Paper
from papertide.sources import Item, Rejected, SourceError

_FIELDS = tuple(f.name for f in dataclasses.fields(Paper))
_AUTHORS = _FIELDS.index("authors")
BATCH = 500  # records per message: large enough that the per-message cost vanishes
_HEADER = struct.Struct("<I")  # each message: its length, then a pickle
_QUEUED = 4  # messages read ahead (~3 MB of snapshot records)


def pack(paper: Paper) -> tuple[Any, ...]:
    """A Paper as a tuple of plain values (authors as (name, affiliation) pairs)."""
    values = [getattr(paper, name) for name in _FIELDS]
    values[_AUTHORS] = tuple((a.name, a.affiliation) for a in paper.authors)
    return tuple(values)


def unpack(values: tuple[Any, ...]) -> Paper:
    fields = list(values)
    fields[_AUTHORS] = tuple([Author(name, affiliation) for name, affiliation in values[_AUTHORS]])
    return Paper(*fields)


def read_paths_in_process(
    paths: Sequence[Path],
    fmt: str = "auto",
    capture_year: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """The records of `paths` in order, as `read_path` gives them, parsed in a child process."""
    # A plain child interpreter rather than multiprocessing: it imports only the parsers, and it
    # works whatever the caller's main module is (spawn re-imports it; fork copies its threads).
    job = pickle.dumps(([str(p) for p in paths], fmt, capture_year))
    command = [sys.executable, "-c", "from papertide.sources.parallel import main; main()"]
    reader = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.write(job)
    reader.stdin.close()
    try:
        yield from _receive(reader.stdout, on_bytes, reader)
    finally:
        reader.stdout.close()
        try:
            reader.wait(timeout=5)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()


def _receive(
    stream: IO[bytes], on_bytes: Callable[[int], None] | None, reader: subprocess.Popen[bytes]
) -> Iterator[Item]:
    # A thread drains the pipe into a bounded queue: the pipe itself holds only 64 kB (a tenth of a
    # batch), so without it the reader would wait for every write until this process came back.
    messages: queue.Queue[bytes] = queue.Queue(maxsize=_QUEUED)
    threading.Thread(target=_drain, args=(stream, messages), name="papertide-reader-pipe", daemon=True).start()
    while True:
        body = messages.get()
        if not body:
            raise SourceError(f"the reading process stopped unexpectedly (exit code {reader.wait()})")
        kind, payload = pickle.loads(body)
        if kind == "items":
            for item in payload:
                yield unpack(item) if isinstance(item, tuple) else item
        elif kind == "bytes":
            if on_bytes:
                on_bytes(payload)
        elif kind == "source-error":
            raise SourceError(payload)
        elif kind == "crash":
            raise RuntimeError(f"the reading process failed:\n{payload}")
        else:  # "done"
            return


def _drain(stream: IO[bytes], messages: queue.Queue[bytes]) -> None:
    """Move whole messages from the pipe to the queue; an empty one marks the end of the pipe. A
    message cut short (the reader killed while writing it) is the end too, never a message."""
    try:
        while True:
            header = stream.read(_HEADER.size)
            if len(header) != _HEADER.size:
                break
            (size,) = _HEADER.unpack(header)
            body = stream.read(size)
            if len(body) != size:
                break
            messages.put(body)
    except (OSError, ValueError):  # the importing side closed the pipe: it is stopping
        pass
    messages.put(b"")


def main() -> None:
    """The reading process: parse every file named on stdin and write the records to stdout."""
    from papertide.sources.files import read_path  # the reader imports only what it needs

    paths, fmt, capture_year = pickle.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    batch: list[tuple[Any, ...] | Rejected] = []

    def send(kind: str, payload: Any) -> None:
        body = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(body)) + body)

    try:
        for path in paths:
            for item in read_path(Path(path), fmt, capture_year, on_bytes=lambda n: send("bytes", n)):
                batch.append(pack(item) if isinstance(item, Paper) else item)
                if len(batch) >= BATCH:
                    send("items", batch)
                    batch = []
        send("items", batch)
        send("done", None)
        out.flush()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)  # the importing process is gone: nothing left to do (and no flush to fail)
    except SourceError as exc:
        _send_last(send, "source-error", str(exc))
    except Exception:  # anything else is reported whole to the importing process
        _send_last(send, "crash", traceback.format_exc())


def _send_last(send: Callable[[str, Any], None], kind: str, payload: str) -> None:
    try:
        send(kind, payload)
        sys.stdout.buffer.flush()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)
