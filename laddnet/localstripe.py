"""localstripe, the stateful Stripe emulator, run as a child process for demo mode and tests."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

log = logging.getLogger(__name__)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalStripe:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> str:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localstripe.server",
                "--port",
                str(self.port),
                "--from-scratch",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self._process.returncode}")
            try:
                req = urllib.request.Request(
                    f"{self.api_base}/v1/customers",
                    headers={"Authorization": "Bearer sk_test_laddnet"},
                )
                with urllib.request.urlopen(req, timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("localstripe did not start in time") from None
                time.sleep(0.1)
        log.info("localstripe listening at %s", self.api_base)
        return self.api_base

    def register_webhook(self, url: str, secret: str) -> None:
        """localstripe sends events only to webhooks configured through its ``/_config`` API."""
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(
            f"{self.api_base}/_config/webhooks/laddnet", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def stop(self) -> None:
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> LocalStripe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
