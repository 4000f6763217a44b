"""Start the explorer: ``streamlit run`` of :mod:`lineage.app.main` on 127.0.0.1 (``lineage app``).

Checks come first, before any work: Streamlit installed (the ``app`` extra), the port free.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from lineage.errors import LineageError

__all__ = ["ENTRY", "AppError", "check_can_serve", "serve", "streamlit_command"]

#: The entry script ``streamlit run`` executes (``app.py`` at the repository root calls the same main).
ENTRY = Path(__file__).resolve().parent / "main.py"
HOST = "127.0.0.1"


class AppError(LineageError, RuntimeError):
    """The app cannot start (Streamlit missing, port taken); the message says what to do."""


def streamlit_command(port: int, *options: str) -> list[str]:
    """``streamlit run`` of the app on 127.0.0.1:``port`` (headless, no usage stats), through
    :mod:`lineage.app.launch` (the first page's imports done while the server starts); ``options``
    are extra ``--name value`` flags. Used by ``lineage app``, the browser test and the app
    benchmark, so all three serve the app the same way."""
    return [
        sys.executable, "-m", "lineage.app.launch", "run", str(ENTRY),
        "--server.headless", "true", "--server.address", HOST, "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        # No full garbage collection after every page run (Streamlit's default): with the tables
        # of millions of models in memory it added 0.1 s to every click.
        "--runner.postScriptGC", "false", *options,
    ]  # fmt: skip


def check_can_serve(port: int) -> None:
    """Raise :class:`AppError` unless Streamlit is installed and ``127.0.0.1:port`` is free."""
    missing = [m for m in ("streamlit", "pyvis", "altair", "pandas") if importlib.util.find_spec(m) is None]
    if missing:
        raise AppError(f"the app needs {', '.join(missing)} (the `app` extra): pip install 'hf-lineage[app]'")
    if not 1 <= port <= 65535:
        raise AppError(f"--port {port} is not a TCP port (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise AppError(
                f"http://{HOST}:{port} is already in use ({exc.strerror or exc}): another app or "
                f"`lineage app` is serving there. Open that page, stop it, or pass --port N "
                f"(make run PORT=N)."
            ) from None


def serve(store: str | os.PathLike[str], port: int, on_start: Any = None) -> int:
    """Serve the app on the store until Ctrl-C or SIGTERM; return the exit code.

    ``on_start(url)`` is called once the checks passed, just before Streamlit starts.
    """
    check_can_serve(port)
    if on_start is not None:
        on_start(f"http://{HOST}:{port}")
    env = {**os.environ, "LINEAGE_STORE": str(store)}
    proc = subprocess.Popen(streamlit_command(port, "--client.toolbarMode", "viewer"), env=env)  # noqa: S603

    def forward(signum: int, _frame: Any) -> None:  # stop the app with us (SIGTERM, SIGHUP)
        proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches both; wait for streamlit to finish
        code = proc.wait()
    return 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code
