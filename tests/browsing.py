"""What the browser tests share: where Debian's Chromium and the test output live, and
`manzoori web` started as an officer's browser reaches it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = Path(os.environ.get("MANZOORI_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(os.environ.get("MANZOORI_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))


@contextmanager
def serving(home: Path, port: int, environment: dict[str, str] | None = None) -> Iterator[str]:
    """`manzoori web` on the database in `home` (or the one `environment` names), until the
    block ends; yields its URL."""
    log = open(home / "web.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "web", "--port", str(port)],
                               env={**os.environ, "MANZOORI_HOME": str(home), **(environment or {})},
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/login").status_code == 200:
                break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()  # a web app that did not answer in time must not outlive the test
                process.wait(10)
                log.close()
                raise RuntimeError(f"the web app did not start; see {home / 'web.log'}") from None
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()
