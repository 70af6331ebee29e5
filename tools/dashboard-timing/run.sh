#!/usr/bin/env bash
# Times the dashboard's pages on a store of N events (default 100,000): starts a receiver and kurir on a temporary
# data dir (127.0.0.1 only), fills it, signs in, and fetches each page three times with curl. Needs python3, curl
# and a built kurir (KURIR=path, default target/release/kurir). Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
kurir="${KURIR:-target/release/kurir}"
events="${1:-100000}"
dir="$(mktemp -d)"
token=dashboard-timing-admin-token
python3 tools/dashboard-timing/receiver.py & receiver=$!
KURIR_ADMIN_TOKEN=$token "$kurir" serve --data-dir "$dir/data" --listen 127.0.0.1:8799 --allow-private-targets \
    >"$dir/kurir.log" 2>&1 & server=$!
trap 'kill $server $receiver 2>/dev/null; rm -rf "$dir"' EXIT
sleep 2
base=http://127.0.0.1:8799
python3 tools/dashboard-timing/fill.py $base $token "$events"
sleep 30  # let the deliveries go out (and the failing endpoint's die or wait)
curl -s -c "$dir/cookies" -o /dev/null -X POST $base/ui/sign-in -H "Origin: $base" -d "token=$token&next=/ui"
api() { curl -s "$base/v1/tenants/acme/$1" -H "Authorization: Bearer $token"; }
event=$(api 'events?limit=1' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
endpoint=$(api endpoints | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
for page in "" /endpoints "/endpoints/$endpoint" /events "/events?before=$event" "/events?q=p-50-500" \
    "/events?q=no-such-text" "/events?state=dead" "/events?endpoint=$endpoint" "/events/$event" /catalog; do
    printf '%-48s' "/ui/t/acme$page"
    for _ in 1 2 3; do curl -s -b "$dir/cookies" -o /dev/null -w ' %{time_total}s' "$base/ui/t/acme$page"; done
    echo
done
