"""Reading a large call log in a child process while this one writes the ledger.

Reading and checking a row (decoding, parsing, look-ups) costs about as much as
storing it; in one process the two take turns, in two they overlap. The child is a
plain ``python -m channels.phone.reader``: it gets a :class:`~channels.phone.rows.ReadJob`
on its standard input and writes length-prefixed pickled chunks to its standard
output. (Not :mod:`multiprocessing`: its "spawn" would run the importing program's
main module again in the child.)
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import attrs

from channels.phone.chunks import ReadJob, RowChunk, read_chunks
from channels.phone.tabular import TabularError
from supervision_core import StageFile, SupervisionError, copy_text

__all__ = ["ChildReader", "ReaderFailed"]

_LENGTHS = struct.Struct("!QQ")
_PIECE = 2000  # rows read before they go to the staged file


class ReaderFailed(RuntimeError):
    """The child process stopped without finishing (killed, out of memory, a bug)."""


@attrs.frozen
class _Failed:
    message: str


@attrs.frozen
class _Done:
    pass


def _send(out: IO[bytes], item: Any) -> None:
    # A chunk's plain rows go by marshal (three times faster than pickle for tuples of
    # text; parent and child are the same interpreter), the rest by pickle.
    rows = b""
    if isinstance(item, RowChunk):
        rows = marshal.dumps(item.quarantine)
        item = attrs.evolve(item, quarantine=[])
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTHS.pack(len(data), len(rows)))
    out.write(data)
    out.write(rows)


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _receive(stream: IO[bytes]) -> Any:
    size, rows = _LENGTHS.unpack(_read(stream, _LENGTHS.size))
    item = pickle.loads(_read(stream, size))  # our own child, over a private pipe
    if rows:
        data = _read(stream, rows)
        # Twenty thousand new tuples at once would set the cyclic collector scanning
        # everything this process holds, for nothing: plain tuples of text hold no cycles.
        was = gc.isenabled()
        gc.disable()
        try:
            item = attrs.evolve(item, quarantine=marshal.loads(data))
        finally:
            if was:
                gc.enable()
    return item


class ChildReader:
    """A child process that reads a call log; started early, it imports while we prepare.

    Use as a context manager: the child is stopped on the way out, finished or not.
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        # The child finds the modules this process found, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "channels.phone.reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
        )
        assert self.process.stdout is not None
        self._ready = False
        with contextlib.suppress(ImportError, OSError, AttributeError):
            # A larger pipe lets the child read a chunk ahead while we write one (Linux).
            import fcntl

            fcntl.fcntl(self.process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)

    def __enter__(self) -> ChildReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child if it still runs, and let go of its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        self.process.wait()
        self._errors.close()

    def ready(self) -> bool:
        """Whether the child has started (imported its modules) and waits for a job."""
        if self._ready:
            return True
        stdout = self.process.stdout
        assert stdout is not None
        if select.select([stdout], [], [], 0)[0]:
            stdout.read(1)  # b"R"; or nothing if the child died, which read() reports
            self._ready = True
        return self._ready

    def read(self, job: ReadJob) -> Iterator[RowChunk]:
        """The chunks of ``job``, as :func:`~channels.phone.rows.read_chunks` gives them.

        :raises TabularError: the file breaks off (after the chunks read before it)
        :raises ReaderFailed: the child stopped without saying why
        """
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        if not self._ready:
            stdout.read(1)
            self._ready = True
        try:
            stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            stdin.close()
        except BrokenPipeError:
            pass  # the child is gone already: said below
        while True:
            try:
                item = _receive(stdout)
            except EOFError:
                code = self.process.wait()
                self._errors.seek(0)
                tail = self._errors.read()[-2000:].decode("utf-8", "replace").strip()
                msg = f"读取文件的子进程意外退出（退出码 {code}）：{tail or '无输出'}"
                raise ReaderFailed(msg) from None
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise TabularError(item.message)
            yield item


def _staged(job: ReadJob, out: IO[bytes]) -> None:
    """Read in small pieces into staged files of a chunk's size each; a chunk a file.

    The rows are never all in memory at once, here or in the parent.
    """
    number = 0
    stage: StageFile | None = None
    gathered: list[RowChunk] = []

    def send() -> None:
        nonlocal stage
        last = gathered[-1]
        chunk = RowChunk(
            read=sum(c.read for c in gathered),
            skipped=sum(c.skipped for c in gathered),
            quarantine=[],
            reports=[r for c in gathered for r in c.reports],
            rejects=[r for c in gathered for r in c.rejects],
            position=last.position,
            next_row=last.next_row,
            staged=stage.path if stage else None,
            staged_rows=stage.rows if stage else 0,
            repeated=sum(c.repeated for c in gathered),
        )
        if stage is not None:
            stage.close()
            stage = None
        gathered.clear()
        _send(out, chunk)

    assert job.stage_dir is not None
    for piece in read_chunks(attrs.evolve(job, chunk_size=min(_PIECE, job.chunk_size))):
        if piece.quarantine:
            if stage is None:
                number += 1
                stage = StageFile(str(job.stage_dir / f"chunk-{number}.db"))
            stage.add(piece.quarantine)
        gathered.append(attrs.evolve(piece, quarantine=[]))
        # A chunk's worth of rows read, whatever became of them (a file of supervisors'
        # calls stages nothing, and its reports must not pile up here).
        if sum(c.read + c.skipped for c in gathered) >= job.chunk_size:
            send()
    if gathered:
        send()


def main() -> None:
    """The child: read the job from standard input, write chunks to standard output."""
    gc.disable()  # a short-lived reader that makes no reference cycles
    out = sys.stdout.buffer
    out.write(b"R")  # started: the parent may hand over the rest of the file
    out.flush()
    job = pickle.load(sys.stdin.buffer)  # written by our parent
    try:
        if job.stage_dir is None:
            for chunk in read_chunks(job):
                if job.copy_text and chunk.quarantine:
                    # Formatted here, while the parent writes: it sends the text as it is.
                    copied = copy_text(chunk.quarantine)
                    chunk = attrs.evolve(chunk, quarantine=[], copied=copied)
                _send(out, chunk)
        else:
            _staged(job, out)
    except (TabularError, SupervisionError) as exc:
        _send(out, _Failed(str(exc)))
    else:
        _send(out, _Done())
    out.flush()


if __name__ == "__main__":
    # Run as the module's real name, so what is pickled here unpickles in the parent.
    from channels.phone.reader import main as _main

    _main()
