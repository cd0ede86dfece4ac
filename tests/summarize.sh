#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# summarize.sh: one closing line for a test run: Check cases plus the other automake tests.
# Usage: tests/summarize.sh LABEL BUILDDIR
label=$1
dir=${2:-.}
passed=0
failed=0
for log in $(find "$dir/tests" -name '*.log' ! -name test-suite.log 2>/dev/null); do
    trs=${log%.log}.trs
    [ -f "$trs" ] || continue
    line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
    plain=$(grep -E '^[a-z0-9_]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$plain" ] && grep -q '^:test-result: \(PASS\|FAIL\|ERROR\)' "$trs"; then
        set -- $(echo "$plain" | sed -E 's/^[a-z0-9_]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
        passed=$((passed + $1))
        failed=$((failed + $2))
        grep -q '^:test-result: PASS' "$trs" || failed=$((failed + 1))
    elif [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
        set -- $n
        passed=$((passed + $1 - $2 - $3))
        failed=$((failed + $2 + $3))
    elif grep -q '^:test-result: PASS' "$trs"; then
        passed=$((passed + 1))
    elif grep -q '^:test-result: SKIP' "$trs"; then
        :
    else
        failed=$((failed + 1))
    fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
