#!/usr/bin/env bash
# The language-model benchmark of issue 8 (a script, not a timed test). Throwaway PostgreSQL and Redis on free
# ports; then, in Release:
#  1. time to first token and tokens/s of the Local provider on the tiny next-byte GGUF the tests write (what the
#     in-process plumbing costs: LLamaSharp, the context per generation, the streaming client; not a real model);
#  2. the extra load answer.delta puts on Redis and on sockets with 100 generations at once, streamed by the
#     chat-completions fake at one token per 20 ms, each answer watched by a socket of its own.
#
# Usage: scripts/bench-llm.sh [--generations 100] [--tokens 200] [--token-ms 20] [--runs 40]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=services.sh
. "$repo/scripts/services.sh"

services_throwaway qa-bench-llm
"$QA_PG_BIN/psql" -X -q -w -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c 'create database qa_bench'

cd "$repo"
dotnet build scripts/bench-llm/LlmBench.csproj -c Release -v quiet -nologo >/dev/null
# The app's own Release build runs in the benchmark's process (the test suite's WebApplicationFactory).
DOTNET_ENVIRONMENT=Production dotnet scripts/bench-llm/bin/Release/net10.0/LlmBench.dll \
    --postgres "Host=127.0.0.1;Port=$pg_port;Database=qa_bench;Username=postgres" \
    --redis "127.0.0.1:$redis_port" "$@"
