"""The Nu HTML Checker (npm's vnu-jar, run by Debian's Java) on every page the browser tests visit.

The checker runs once per test session as a local HTTP service (starting Java costs seconds; checking a
page then takes milliseconds), started in the background when the first browser test starts, so a
failing page is reported by the test that visited it. `make test` installs it (package.json)."""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java") or "/usr/bin/java"
MISSING = (
    f"The Nu HTML Checker is missing ({VNU_JAR} or Java at {JAVA}): run `make install-checker` "
    "(npm ci, from package-lock.json) and install Java (apt-get install default-jre-headless)."
)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HtmlChecker:
    STARTUP_SECONDS = 120  # Java on two shared cores takes 20-45 s to read its schemas

    def __init__(self):
        self.process = None
        self.url = None
        self.ready = False

    def start(self):
        if self.process is not None:
            return
        if not VNU_JAR.exists() or not Path(JAVA).exists():
            raise RuntimeError(MISSING)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/?out=json"
        self.process = subprocess.Popen(
            [
                JAVA,
                "-Xss2m",
                "-cp",
                str(VNU_JAR),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "nu.validator.servlet.Main",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _wait(self):
        if self.ready:
            return
        deadline = time.monotonic() + self.STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Nu HTML Checker stopped (exit status {self.process.returncode}).")
            try:
                self._post("<!doctype html><html lang=en><title>x</title></html>")
                self.ready = True
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"The Nu HTML Checker did not answer within {self.STARTUP_SECONDS} s.")

    def _post(self, html):
        request = urllib.request.Request(
            self.url, data=html.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def errors(self, html):
        """The checker's errors for one page, as readable lines (warnings and info are left out)."""
        self._wait()
        messages = self._post(html)["messages"]
        return [
            f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
            for m in messages
            if m["type"] == "error" or m.get("subType") == "fatal"
        ]

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
