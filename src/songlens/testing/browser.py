"""A minimal headless-Chromium driver for report tests and screenshots.

Speaks the W3C WebDriver protocol to Debian's ``chromedriver`` over HTTP with
the standard library only (no selenium, no playwright, nothing fetched at run
time). Chromium runs headless with networking features off and a fresh profile.

Conventions
-----------
* :func:`find_chromium` returns ``(chromium, chromedriver)`` paths or ``None``;
  tests skip when it is ``None`` (``apt-get install chromium chromium-driver``).
* Sizes are CSS pixels; screenshots are PNG bytes.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["find_chromium", "Browser", "CHROMIUM_FLAGS"]

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--mute-audio",
                  "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars")
"""Command-line flags for a quiet, offline, reproducible headless Chromium."""


def find_chromium() -> tuple[str, str] | None:
    """Paths of ``chromium`` and ``chromedriver``, or ``None`` if either is missing."""
    browser = (os.environ.get("SONGLENS_CHROMIUM") or shutil.which("chromium")
               or shutil.which("chromium-browser") or shutil.which("google-chrome"))
    driver = os.environ.get("SONGLENS_CHROMEDRIVER") or shutil.which("chromedriver")
    if not browser or not driver:
        return None
    return browser, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A headless Chromium session (use as a context manager).

    Parameters
    ----------
    width, height : int
        Window size in CSS pixels.
    mobile : bool
        Emulate a phone (touch, device scale factor 2, mobile viewport).
    """

    def __init__(self, *, width: int = 1280, height: int = 900, mobile: bool = False):
        found = find_chromium()
        if found is None:
            raise RuntimeError("chromium and chromedriver are needed "
                               "(apt-get install chromium chromium-driver)")
        self.browser, self.driver = found
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="songlens-chromium-")
        self.proc = subprocess.Popen([self.driver, f"--port={self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self.session: str | None = None
        try:
            self._wait_ready()
            args = [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                    f"--window-size={width},{height}"]
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": self.browser, "args": args}}}}
            self.session = self._call("POST", "/session", caps)["sessionId"]
            if mobile:
                self.cdp("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": height, "deviceScaleFactor": 2,
                          "mobile": True})
                self.cdp("Emulation.setTouchEmulationEnabled", {"enabled": True})
            else:
                self.cdp("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": height, "deviceScaleFactor": 1,
                          "mobile": False})
        except BaseException:
            self.close()
            raise

    # plumbing --------------------------------------------------------------
    def _wait_ready(self, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError("chromedriver did not start")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("value", {})
            raise RuntimeError(f"webdriver {method} {path}: {detail.get('message', exc)}") \
                from None
        return payload.get("value", payload)

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    # API ---------------------------------------------------------------------
    def cdp(self, cmd: str, params: dict[str, Any] | None = None) -> Any:
        """Run a Chrome DevTools Protocol command."""
        return self._call("POST", self._s("/goog/cdp/execute"),
                          {"cmd": cmd, "params": params or {}})

    def open(self, path: str | os.PathLike[str]) -> None:
        """Load a local file and wait until the document is complete."""
        self._call("POST", self._s("/url"), {"url": Path(path).resolve().as_uri()})
        self.wait("return document.readyState === 'complete'")

    def js(self, script: str, *args: Any) -> Any:
        """Run synchronous JavaScript (``return`` a value)."""
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def wait(self, script: str, timeout: float = 15.0) -> Any:
        """Poll a JavaScript predicate until it returns a truthy value."""
        end = time.monotonic() + timeout
        while True:
            v = self.js(script)
            if v or time.monotonic() > end:
                return v
            time.sleep(0.05)

    def click(self, css: str) -> None:
        """Click (as a user would) the first element matching a CSS selector."""
        el = self._call("POST", self._s("/element"), {"using": "css selector", "value": css})
        eid = next(iter(el.values()))
        # centre it first: a sticky player at the top must not cover the target
        self.js("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});", el)
        self._call("POST", self._s(f"/element/{eid}/click"), {})

    def screenshot(self, *, full_page: bool = True) -> bytes:
        """PNG screenshot of the viewport, or of the whole page."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            w = self.js("return document.documentElement.scrollWidth")
            h = self.js("return document.documentElement.scrollHeight")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": w, "height": h, "scale": 1})
        return base64.b64decode(self.cdp("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        """End the session and stop chromedriver (and its Chromium)."""
        try:
            if self.session is not None:
                self._call("DELETE", self._s(""))
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass
        self.session = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
