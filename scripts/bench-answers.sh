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

services_throwaway qa-bench
app_port=$(services free-port)

cd "$repo"
dotnet build QaMonolith/QaMonolith.csproj -c Release -v quiet -nologo >/dev/null
dotnet build scripts/bench-answers/AnswersBench.csproj -c Release -v quiet -nologo >/dev/null

dotnet scripts/bench-answers/bin/Release/net10.0/AnswersBench.dll \
    --app QaMonolith/bin/Release/net10.0/QaMonolith.dll --app-port "$app_port" \
    --postgres "Host=127.0.0.1;Port=$pg_port;Database=qa_bench;Username=postgres" \
    --redis "127.0.0.1:$redis_port" "$@"
