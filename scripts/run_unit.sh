#!/bin/sh
# run_unit.sh TEST... - run each cmocka test binary; print a summary line and fail if any failed.
passed=0
failed=0
for t in "$@"; do
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $t" >&2
    fi
done
echo "unit test binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
