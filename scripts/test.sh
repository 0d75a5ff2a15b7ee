#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (when missing), builds, and runs every test.
# Tests start their own servers (nats-server, PostgreSQL, the service itself) on loopback, free ports, temp dirs.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
id postgres >/dev/null 2>&1 || need+=(postgresql)
# The browser tests drive Debian's chromium with Playwright (Playwright's own browser download is not possible here).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The offline checks of deploy/ (tests/ViewingHistory.Server.Tests/Deployment): kubectl renders the kustomize overlays,
# node runs deploy/tools/check.mjs (schemas, PromQL).
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# deploy/tools' npm packages, as its lock file pins them; installed again only when the lock file changed.
if ! cmp -s deploy/tools/package-lock.json deploy/tools/node_modules/.installed-lock 2>/dev/null; then
  npm ci --prefix deploy/tools --no-audit --no-fund --loglevel=error
  cp deploy/tools/package-lock.json deploy/tools/node_modules/.installed-lock
fi

# @redocly/cli, pinned, into the checkout (not global): the test that lints the served OpenAPI document runs it from here.
REDOCLY_VERSION=2.77.0
if [ "$(cat .tools/openapi-lint/version 2>/dev/null)" != "$REDOCLY_VERSION" ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools/openapi-lint "@redocly/cli@$REDOCLY_VERSION" >/dev/null
  echo "$REDOCLY_VERSION" > .tools/openapi-lint/version
fi

dotnet build ViewingHistory.slnx -c Release -nologo -clp:ErrorsOnly
# One test assembly at a time: the machines have 2 cores, and several suites start servers.
# A nats-server that exits by itself during the run (not killed by a test) is reported here, with its log's tail: its
# own directory, log included, is gone with its fixture (tests/ViewingHistory.Testing/Nats/NatsProcess.cs).
nats_exits="${TMPDIR:-/tmp}/vh-nats-exits.log"
rm -f "$nats_exits"
status=0
dotnet test ViewingHistory.slnx -c Release --no-build -nologo -m:1 -- RunConfiguration.TestSessionTimeout=1500000 "$@" || status=$?
if [ -s "$nats_exits" ]; then
  echo "nats-server processes that exited by themselves during the run:"
  cat "$nats_exits"
fi
exit "$status"
