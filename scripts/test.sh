#!/usr/bin/env bash
# Runs every test and ends with the line CI reads: "N passed, N failed[, N skipped]".
# The tests start their own throwaway PostgreSQL and Redis through scripts/services.sh ($QA_SCRIPTS_DIR).
#
# Usage: scripts/test.sh [dotnet test arguments, e.g. --filter Category=Unit]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results=$repo/TestResults

say() { printf 'test.sh: %s\n' "$*" >&2; }

# Sums the <Counters> of every TRX file under $1 and prints "passed failed skipped executed files".
trx_counts() {
    local dir=$1 files=()
    [[ -d $dir ]] && mapfile -t files < <(find "$dir" -type f -name '*.trx' | sort)
    if ((${#files[@]} == 0)); then
        echo "0 0 0 0 0"
        return
    fi
    local f
    for f in "${files[@]}"; do
        # Flattened first, so that an element spread over several lines is still one match.
        tr '\r\n' '  ' <"$f" | grep -o '<Counters [^>]*>' || true
    done | awk -v files="${#files[@]}" '
        function attr(name,   m) {
            if (match($0, " " name "=\"[0-9]+\"")) {
                m = substr($0, RSTART, RLENGTH)
                gsub(/[^0-9]/, "", m)
                return m + 0
            }
            return 0
        }
        {
            passed += attr("passed")
            # error, timeout and aborted are outcomes that did not pass either.
            failed += attr("failed") + attr("error") + attr("timeout") + attr("aborted")
            # Ignored NUnit tests count in total but not in executed, and VSTest leaves notExecuted at 0 for them.
            skip = attr("total") - attr("executed")
            skipped += (skip > attr("notExecuted") ? skip : attr("notExecuted"))
            executed += attr("executed")
        }
        END { printf "%d %d %d %d %d\n", passed, failed, skipped, executed, files }'
}

# Sourcing gives the summing logic to a test without running the tests.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    return 0
fi

cd "$repo"
"$repo/scripts/services.sh" install
# Browser tests need it, but the rest of the suite is still worth running without it.
"$repo/scripts/services.sh" install chromium || say "warning: could not install chromium; browser tests may fail"

if ! command -v dotnet >/dev/null 2>&1; then
    say "the .NET 10 SDK (dotnet) is not installed; see https://dot.net (apt-get install dotnet-sdk-10.0)"
    echo "0 passed, 0 failed"
    exit 1
fi

rm -rf "$results"
mkdir -p "$results"
export QA_SCRIPTS_DIR=$repo/scripts
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

set +e
dotnet test QaMonolith.sln -c Release --logger trx --results-directory "$results" "$@"
test_rc=$?
set -e

read -r passed failed skipped executed files < <(trx_counts "$results")
status=0
if ((test_rc != 0)); then
    say "FAILED: dotnet test exited with status $test_rc"
    status=1
fi
if ((files == 0)); then
    say "FAILED: no TRX file under $results"
    status=1
elif ((executed == 0)); then
    say "FAILED: no test ran"
    status=1
fi
if ((failed > 0)); then
    say "FAILED: $failed test(s) failed"
    status=1
fi

summary="$passed passed, $failed failed"
if ((skipped > 0)); then
    summary+=", $skipped skipped"
fi
echo "$summary"
exit "$status"
