"""Run dbt in its own process: the DuckDB file lock is released when it exits, before agents read.

dbt targets the warehouse the settings point at: PostgreSQL when warehouse_url is set, else the DuckDB file.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mops.core import interrupts
from mops.core.settings import Settings

PROGRESS = re.compile(r"\b(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP|NO-OP)\b(.*)")


@dataclass
class DbtResult:
    command: list[str]
    returncode: int
    log_path: Path
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("dbt is not installed in this environment (pip install -e .)")
    return found


def postgres_profile_env(url: str) -> dict[str, str]:
    """The MOPS_PG_* variables profiles.yml reads, from a postgresql://user:password@host:port/db URL."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("postgresql", "postgres") or not parsed.path.strip("/"):
        raise ValueError(
            f"warehouse_url must look like postgresql://user@host:5432/database, got {parsed.scheme}://..."
        )
    return {
        "MOPS_PG_HOST": parsed.hostname or "127.0.0.1",
        "MOPS_PG_PORT": str(parsed.port or 5432),
        "MOPS_PG_USER": unquote(parsed.username or "postgres"),
        "MOPS_PG_PASSWORD": unquote(parsed.password or ""),
        "MOPS_PG_DATABASE": unquote(parsed.path.strip("/")),
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """dbt's environment from the settings: the target follows warehouse_url, as the runtime's does."""
    env = dict(os.environ)
    env.update(
        {
            "MOPS_WAREHOUSE_PATH": str(settings.warehouse_path),
            "MOPS_DBT_TARGET": "postgres" if settings.warehouse_url else "duckdb",
            "MOPS_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
            "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
            "DBT_PROJECT_DIR": str(settings.dbt_project_dir),
            "DBT_TARGET_PATH": str(settings.dbt_target_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_USE_COLORS": "false",
        }
    )
    if settings.warehouse_url:
        env.update(postgres_profile_env(settings.warehouse_url))
    env.update(pii_pad_env(settings, env.get("PGOPTIONS", "")))
    return env


def pii_pad_env(settings: Settings, pgoptions: str = "") -> dict[str, str]:
    """The HMAC pads of the PII key: environment variables (DuckDB getenv) and session settings (PGOPTIONS)."""
    from mops.core.governance.pseudonym import IPAD_ENV, OPAD_ENV, pad_env

    secret = settings.pii_key.get_secret_value() if settings.pii_key else None
    pads = pad_env(secret, settings.production)
    options = f"-c mops.pii_hmac_ipad={pads[IPAD_ENV]} -c mops.pii_hmac_opad={pads[OPAD_ENV]}"
    return pads | {"PGOPTIONS": f"{pgoptions} {options}".strip()}


class _Warm:
    """The one dbt child waiting for its arguments (mops.core.transform_child), and what it was started with."""

    process: subprocess.Popen | None = None
    key: tuple | None = None
    lock = threading.Lock()  # flows running in threads of one process never take the same child


def _warm_key(settings: Settings, env: dict[str, str]) -> tuple:
    # Prefect's variables change while a run starts (its API URL) and dbt never reads them
    return str(settings.dbt_project_dir), sorted((k, v) for k, v in env.items() if not k.startswith("PREFECT_"))


def prewarm(settings: Settings) -> None:
    """Start a dbt child that imports dbt now and runs the next `run_dbt` for these settings (at most one)."""
    env = dbt_env(settings)
    key = _warm_key(settings, env)
    with _Warm.lock:
        if _Warm.process is not None and _Warm.process.poll() is None and _Warm.key == key:
            return
        _stop(_Warm.process)
        _Warm.process = _spawn_child(settings, env)
        _Warm.key = key


def _spawn_child(settings: Settings, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mops.core.transform_child", "dbt"],
        cwd=settings.dbt_project_dir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **interrupts.child_kwargs(),  # dies with us, like every dbt process
    )


def stop_prewarmed() -> None:
    """End a prewarmed child nobody used."""
    with _Warm.lock:
        process, _Warm.process, _Warm.key = _Warm.process, None, None
    _stop(process)


def _stop(process: subprocess.Popen | None) -> None:
    """Closing its stdin ends a waiting child; its group is killed if it lingers (still importing dbt:
    it holds nothing, so nobody waits for that import to finish)."""
    if process is None:
        return
    with contextlib.suppress(OSError):
        process.stdin.close()
    try:
        process.wait(0.2)
    except subprocess.TimeoutExpired:
        interrupts.kill_group(process)
    with contextlib.suppress(OSError):
        process.stdout.close()


atexit.register(stop_prewarmed)


def _take_prewarmed(settings: Settings, env: dict[str, str], args: list[str]) -> subprocess.Popen | None:
    """The prewarmed child, given `args`, when it was started for this environment and is still waiting."""
    with _Warm.lock:
        process, key = _Warm.process, _Warm.key
        _Warm.process, _Warm.key = None, None
    if process is None or process.poll() is not None or key != _warm_key(settings, env):
        _stop(process)
        return None
    try:
        process.stdin.write(json.dumps(args) + "\n")
        process.stdin.close()
    except OSError:  # it died meanwhile: a cold start instead
        interrupts.kill_group(process)
        return None
    return process


def dbt_args(command: str = "build", select: str | None = None, full_refresh: bool = False) -> list[str]:
    """`dbt <command>` arguments. A full refresh rebuilds the incremental models from every raw row."""
    return [command] + (["--select", select] if select else []) + (["--full-refresh"] if full_refresh else [])


def run_dbt(
    settings: Settings,
    args: list[str],
    on_progress: Callable[[int, int, str, str], None] | None = None,
    full_refresh: bool = False,
) -> DbtResult:
    """Run `dbt <args>` with mops settings as vars; stream progress; keep the full log under var/.

    Incremental models build only what was loaded since their last build; `full_refresh` rebuilds them whole.
    """
    if full_refresh and "--full-refresh" not in args:
        args = [*args, "--full-refresh"]
    interrupts.check()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    log_dir = settings.var_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"dbt-{args[0]}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    command = [dbt_executable(), *args, "--vars", json.dumps(settings.dbt_vars())]
    failures: list[str] = []
    env = dbt_env(settings)
    process = _take_prewarmed(settings, env, command[1:]) or subprocess.Popen(
        command,
        cwd=settings.dbt_project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **interrupts.child_kwargs(),  # dies with us, even on kill -9: no orphan holding the warehouse
    )
    with (
        log_path.open("w") as log,
        process,
        interrupts.tracked(process),  # a stop (SIGTERM/SIGINT) kills dbt's process group
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            match = PROGRESS.search(line)
            if match:
                done, total, status, rest = match.groups()
                if status in ("ERROR", "FAIL"):
                    failures.append(line.strip())
                if on_progress:
                    on_progress(int(done), int(total), status, rest.strip(" .[]"))
            elif line.lstrip().startswith(
                ("Compilation Error", "Runtime Error", "Parsing Error", "Database Error", "Encountered an error")
            ):
                failures.append(line.strip())
    if interrupts.stop_requested():
        failures.append(f"dbt stopped by {interrupts.reason()}")
    return DbtResult(command, process.returncode, log_path, failures)
