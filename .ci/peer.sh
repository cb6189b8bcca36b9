#!/usr/bin/env bash
# Real clients' own suites against a freshly built `streamlite up` (slower than CI's slice):
#   .ci/peer.sh            kcat smoke (librdkafka)
#   KGO=1 .ci/peer.sh      ... and franz-go's pkg/kgo suite (KGO_RECORDS, default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${STREAMLITE_SHARED:-$(pwd)/../shared}
work=$(mktemp -d)
go build -o "$work/streamlite" ./cmd/streamlite
"$work/streamlite" up --any-port --data-dir "$work/data" --log-level warn > "$work/up.out" 2> "$work/up.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
addr=""
for _ in $(seq 1 100); do
  addr=$(sed -n 's/^  kafka *\([0-9.:]*\)$/\1/p' "$work/up.out"); [[ -n $addr ]] && break; sleep 0.05
done
[[ -n $addr ]] || { cat "$work/up.out" "$work/up.err"; exit 1; }
rc=0
KCAT_SKIP=${KCAT_SKIP-} bash "$shared/peer/kcat-smoke.sh" "$addr" || rc=1
if [[ -n ${KGO:-} ]]; then
  KGO_TEST_RF=1 KGO_SKIP=${KGO_SKIP-} bash "$shared/peer/kgo-suite.sh" "$addr" "${KGO_RECORDS:-50000}" || rc=1
fi
exit $rc
