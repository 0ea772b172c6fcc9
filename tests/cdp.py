"""A minimal Chrome DevTools Protocol driver for the browser tests (no Selenium, no Playwright).

``Browser`` starts headless Chromium with a DevTools port on 127.0.0.1, opens one page over
its WebSocket (``websockets``' synchronous client) and offers what the tests need: navigate,
evaluate JavaScript, wait for a condition in the page, click at a point like a mouse, take a
screenshot, and the URL of every request the page made (``Network.requestWillBeSent``).
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.processes import free_port


class Browser:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next = 0
        self.requests: list[str] = []

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._next += 1
        wanted = self._next
        self._socket.send(json.dumps({"id": wanted, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("method") == "Network.requestWillBeSent":
            self.requests.append(str(message["params"]["request"]["url"]))

    def pump(self, seconds: float) -> None:
        """Read the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._event(json.loads(self._socket.recv(timeout=left)))
            except TimeoutError:
                return

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 60, what: str = "") -> Any:
        """The first truthy value of ``expression``, evaluated until ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.25)
        raise AssertionError(f"timed out waiting for {what or expression}")

    def wait_rendered(self, text: str, timeout: float = 60) -> None:
        """Until ``text`` shows and Streamlit is no longer running the script."""
        probe = (
            f"document.body && document.body.innerText.includes({json.dumps(text)}) && "
            "!document.querySelector('[data-testid=\"stStatusWidget\"]') && "
            "!document.querySelector('[data-testid=\"stSkeleton\"]')"
        )
        self.wait_for(probe, timeout, f"{text!r} to render")
        self.pump(1.0)  # let charts finish drawing

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path


def _json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - 127.0.0.1 only
        return json.loads(answer.read())


@contextmanager
def browser(
    chromium: str, profile: Path, width: int = 1400, height: int = 1100
) -> Iterator[Browser]:
    """A headless Chromium with one blank page, driven over DevTools; stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-address=127.0.0.1",
            f"--remote-debugging-port={port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        pages: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                pages = [
                    t for t in _json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"
                ]
            except OSError:
                pages = []
            if pages:
                break
            time.sleep(0.1)
        assert pages, "Chromium opened no DevTools page"
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as socket:
            driver = Browser(socket)
            driver.call("Network.enable")
            driver.call("Page.enable")
            driver.call("Runtime.enable")
            yield driver
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
