"""A throwaway redis-server (Debian's package) of a test's own on a loopback port, which the test may kill,
pause and start again: the Redis-outage and two-host tests. Not a test module.

Without redis-server the tests that need it skip with a reason CI does not allow (.ci/run installs it), so
a machine without it is told what is missing, and CI fails rather than quietly testing less."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

# Loopback ports for the tests' own servers: never Redis's usual 6379 (a developer's own Redis), nor 6399
# (.ci/run's, which the PostgreSQL pass of the suite uses as CACHE_URL).
# Under pytest-xdist each process takes its own share of them, so two never pick the same free port at once.
PORTS = range(6390, 6399)


def _free_port():
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    for port in PORTS[worker::workers]:
        with socket.socket() as sock:
            # As redis-server binds: a port whose last server's connections linger in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port for a test redis-server in {PORTS.start}-{PORTS.stop - 1}")


class RedisServer:
    def __init__(self, directory):
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        """Start (again, after kill()) on the same port: empty, unless kill() saved a snapshot to load."""
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def answers(self):
        import redis

        try:
            return self.client().ping()
        except redis.exceptions.RedisError:
            return False

    def keys(self, pattern="*"):
        return sorted(key.decode() for key in self.client().keys(pattern))

    def kill(self, snapshot=False):
        """As a crash: SIGKILL. With `snapshot`, first write what it holds to disk (SAVE), so that start()
        comes back with that data, as a Redis with persistence does after a restart."""
        if snapshot:
            self.client().save()
        self.process.kill()
        self.process.wait(timeout=10)

    def pause(self):
        """Still accepting connections but answering nothing, as a hung server or a lost network."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextmanager
def redis_server(directory):
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (Debian's package: apt-get install redis-server; .ci/run installs it)")
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
