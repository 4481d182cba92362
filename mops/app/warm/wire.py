"""What the `mops` command and the warm process share: where the socket is, how a message travels, who is who.

Standard library only: the client imports this before anything else, so a warm start costs the caller
no more than Python's own start-up. The socket path follows the project's settings (`MOPS_PROJECT_DIR`,
`MOPS_VAR_DIR`, from the environment or the `.env` file, as `mops.core.settings` reads them) without
importing them: `<var>/prefect/warm.sock`, beside the Prefect server's files.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import sys
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the checkout: mops/, flows/, pyproject.toml
SOURCE_FOLDERS = ("mops", "flows")  # what the warm process has imported from the checkout
MAX_MESSAGE = 4 * 1024 * 1024
_OFF = {"0", "false", "no", "off"}


def _dotenv(cwd: str) -> dict[str, str]:
    """The MOPS_ lines of `<cwd>/.env` (pydantic-settings reads the same file; the environment wins)."""
    found: dict[str, str] = {}
    try:
        text = Path(cwd, ".env").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip().upper().startswith("MOPS_"):
            found[key.strip().upper()] = value.strip().strip("'\"")
    return found


def setting(name: str, env: Mapping[str, str], cwd: str) -> str | None:
    key = f"MOPS_{name.upper()}"
    if key in env:
        return env[key]
    return _dotenv(cwd).get(key)


def enabled(env: Mapping[str, str], cwd: str) -> bool:
    """MOPS_WARM_START=false turns the warm start off (the command then always starts cold)."""
    value = setting("warm_start", env, cwd)
    return value is None or value.strip().lower() not in _OFF


def state_dir(env: Mapping[str, str], cwd: str) -> Path:
    """`<var>/prefect` as `Settings().var_path / "prefect"` resolves it."""
    project = Path(setting("project_dir", env, cwd) or PACKAGE_ROOT)
    var = Path(setting("var_dir", env, cwd) or "var")
    return (var if var.is_absolute() else project / var) / "prefect"


def socket_path(folder: Path) -> Path:
    return folder / "warm.sock"


def pid_path(folder: Path) -> Path:
    return folder / "warm.pid"


@contextlib.contextmanager
def short_address(path: Path) -> Iterator[str]:
    """A Unix socket address for `path` under the 108-byte limit: through /proc/self/fd when it is long."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def identity() -> dict[str, str]:
    """What must be the same on both sides: the checkout, the interpreter and the environment it runs in."""
    return {"root": str(PACKAGE_ROOT), "executable": sys.executable, "prefix": sys.prefix, "version": sys.version}


def source_stamp() -> str:
    """A cheap fingerprint of the checkout's Python source and pyproject.toml (paths, sizes, mtimes; ~1 ms)."""
    parts: list[str] = []
    for folder in SOURCE_FOLDERS:
        for directory, subdirs, names in os.walk(PACKAGE_ROOT / folder):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with contextlib.suppress(OSError):
                        info = os.stat(path)
                        parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    for path in (PACKAGE_ROOT / "pyproject.toml", Path(sys.prefix)):  # the venv's installs change its mtime too
        with contextlib.suppress(OSError):
            info = os.stat(path)
            parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    site = next((p for p in sys.path if p.endswith("site-packages")), None)
    if site:
        with contextlib.suppress(OSError):
            parts.append(f"{site}:{os.stat(site).st_mtime_ns}")
    return f"{zlib.crc32(chr(10).join(parts).encode()):08x}-{len(parts)}"


def peer(sock: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a Unix socket (SO_PEERCRED, set by the kernel)."""
    pid, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid, uid


def encode(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack("!I", len(body)) + body


class Reader:
    """Length-prefixed JSON messages from a stream socket, in order (bytes already read can be handed in)."""

    def __init__(self, sock: socket.socket, initial: bytes = b"") -> None:
        self.sock = sock
        self.buffer = bytearray(initial)

    def _fill(self, size: int) -> bool:
        while len(self.buffer) < size:
            chunk = self.sock.recv(max(4096, size - len(self.buffer)))
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read(self) -> dict | None:
        """The next message, or None at the end of the stream."""
        if not self._fill(4):
            return None
        (size,) = struct.unpack("!I", self.buffer[:4])
        if size > MAX_MESSAGE:
            raise ValueError(f"a message of {size} bytes")
        if not self._fill(4 + size):
            return None
        body, self.buffer = bytes(self.buffer[4 : 4 + size]), self.buffer[4 + size :]
        return json.loads(body)
