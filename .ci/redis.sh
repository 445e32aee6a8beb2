# shellcheck shell=bash
# Redis for tests: a throwaway server on 127.0.0.1:$REDIS_PORT, nothing kept on disk. Source it (as root) from
# .ci/run, then call redis_start, and redis_stop when done (run sets a trap). After redis_start, CACHE_URL points
# at its database 0, which the suite empties before each test (tests/conftest.py).

# Not 6379 (a Redis of the machine's own), and not 6390-6398 (the tests' own throwaway servers, tests/redis_server.py).
REDIS_PORT=${REDIS_PORT:-6399}
REDIS_ROOT=${REDIS_ROOT:-/tmp/ci-redis-$REDIS_PORT}   # pid file and log

redis_install() {
  if ! command -v redis-server >/dev/null; then
    echo "Installing Redis from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
}

redis_start() {
  redis_install
  # A server left on the port by an earlier run holds data of that run: stop it rather than reuse it.
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$REDIS_ROOT" && mkdir -p "$REDIS_ROOT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$REDIS_ROOT" --pidfile "$REDIS_ROOT/redis.pid" --logfile "$REDIS_ROOT/redis.log"
  for _ in $(seq 50); do
    [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || { cat "$REDIS_ROOT/redis.log"; return 1; }
  export CACHE_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

redis_stop() {
  [ -f "$REDIS_ROOT/redis.pid" ] || return 0
  kill "$(cat "$REDIS_ROOT/redis.pid")" 2>/dev/null || true
}
