#!/usr/bin/env bash
# The Answers pipeline benchmark (a script, not a timed test): throwaway PostgreSQL and Redis on free ports, the
# app in Release as its own process, a chat-completions fake that answers at once, N questions posted for
# BENCH_SECONDS; prints questions/s through the whole pipeline and the median and p99 time from POST to the third
# answer.created on qa:events.
#
# Usage: scripts/bench-answers.sh [--seconds 20] [--posters 8] [--max-concurrency 4] [--rate QUESTIONS_PER_S]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=services.sh
. "$repo/scripts/services.sh"

work=$(mktemp -d /tmp/qa-bench-XXXXXX)
chmod 755 "$work"
pg_port=$(services free-port)
redis_port=$(services free-port)
while [[ $redis_port == "$pg_port" ]]; do redis_port=$(services free-port); done
app_port=$(services free-port)

cleanup() {
    services redis-stop "$work/redis" >/dev/null 2>&1 || true
    services postgres-stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

services install
services postgres-start "$work/pg" "$pg_port"
services redis-start "$work/redis" "$redis_port"

cd "$repo"
dotnet build QaMonolith/QaMonolith.csproj -c Release -v quiet -nologo >/dev/null
dotnet build scripts/bench-answers/AnswersBench.csproj -c Release -v quiet -nologo >/dev/null

dotnet scripts/bench-answers/bin/Release/net10.0/AnswersBench.dll \
    --app QaMonolith/bin/Release/net10.0/QaMonolith.dll --app-port "$app_port" \
    --postgres "Host=127.0.0.1;Port=$pg_port;Database=qa_bench;Username=postgres" \
    --redis "127.0.0.1:$redis_port" "$@"
