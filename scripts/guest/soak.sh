#!/bin/sh
# `make soak`: the unload-under-torture selftest with CYCLES cycles (default 100), both
# engines, varied delays; then the long torture (scripts/guest/long.sh is separate).
export CYCLES=${CYCLES:-100}
start=$(date +%s)
/selftests/int3call/unload_busy.sh
rc=$?
echo "# unload_busy.sh: $CYCLES cycles in $(( $(date +%s) - start )) s (guest clock)"
exit $rc
