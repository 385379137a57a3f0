#!/usr/bin/env bash
# Data-API benchmark: GET by id and a 50-row filtered list, as a signed-in user under an RLS
# policy, through oxforge (wrk) — and the same SQL straight into PostgreSQL (pgbench) for the
# ratio oxforge ÷ PostgreSQL. Loopback only, bounded in time.
#
# Usage: bench/data-api.sh [seconds per scenario (10)] [connections (32)]
# Needs: wrk and pgbench (Debian: apt-get install wrk postgresql-15), python3, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${2:-32}

cargo build --release --quiet -p oxforge
work=$(mktemp -d)
chmod 755 "$work"
RUST_LOG=warn target/release/oxforge serve --port 0 --data-dir "$work/data" >"$work/summary" 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do grep -q "API key" "$work/summary" 2>/dev/null && break; sleep 0.1; done
URL=$(awk '/API URL/ {print $3}' "$work/summary")
API_KEY=$(awk '/API key/ {print $3}' "$work/summary")
SOCKET="$work/data/run"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -U postgres -d postgres "$@"; }

psql_ <<'SQL'
create or replace function public.requesting_user_id() returns text language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true)::json->>'sub', '')::text $$;
create table public.bench_items (
  id int primary key, user_id text not null default requesting_user_id(),
  category int not null, title text not null, price numeric(10,2), created_at timestamptz default now());
insert into public.bench_items (id, user_id, category, title, price)
  select i, 'user_' || (i % 100), (i / 100) % 2, 'item ' || i, (i % 997) / 10.0 from generate_series(1, 10000) i;
create index on public.bench_items (user_id, category);
alter table public.bench_items enable row level security;
create policy own on public.bench_items for all to authenticated
  using (user_id = requesting_user_id()) with check (user_id = requesting_user_id());
analyze public.bench_items;
SQL

JWT_SECRET=$(curl -s -H "Authorization: Bearer $API_KEY" "$URL/api/secrets/JWT_SECRET" | python3 -c 'import sys, json; print(json.load(sys.stdin)["value"])')
TOKEN=$(JWT_SECRET="$JWT_SECRET" python3 - <<'PY'
import base64, hashlib, hmac, json, os, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "user_7", "role": "authenticated", "aud": "insforge-api", "exp": int(time.time()) + 3600}).encode())
sig = b64(hmac.new(os.environ["JWT_SECRET"].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
CLAIMS='{"sub":"user_7","role":"authenticated","aud":"insforge-api"}'

# Check both scenarios answer what we expect before timing them.
rows() { curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/database/records/bench_items?$1" | python3 -c 'import sys, json; print(len(json.load(sys.stdin)))'; }
[ "$(rows 'id=eq.707')" = 1 ] || { echo "GET by id did not return 1 row" >&2; exit 1; }
[ "$(rows 'category=eq.1&limit=50')" = 50 ] || { echo "the list did not return 50 rows" >&2; exit 1; }

declare -A QUERY=(
  [get_by_id]='id=eq.707'
  [list_50]='category=eq.1&limit=50'
)
declare -A SQL=(
  [get_by_id]='SELECT NULL::bigint, count(*)::bigint, coalesce(json_agg("_r"), '"'"'[]'"'"'::json)::text FROM (SELECT "bench_items".* FROM "public"."bench_items" AS "bench_items" WHERE "bench_items"."id" = 707) AS "_r";'
  [list_50]='SELECT NULL::bigint, count(*)::bigint, coalesce(json_agg("_r"), '"'"'[]'"'"'::json)::text FROM (SELECT "bench_items".* FROM "public"."bench_items" AS "bench_items" WHERE "bench_items"."category" = 1 LIMIT 50) AS "_r";'
)

printf '\n%-10s %12s %10s %10s %12s %8s\n' scenario "oxforge r/s" "p50" "p99" "pgbench tps" ratio
for name in get_by_id list_50; do
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
    "$URL/api/database/records/bench_items?${QUERY[$name]}")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$non2xx" ] || { echo "$name: $non2xx non-2xx answers" >&2; exit 1; }
  script="$work/$name.sql"
  printf 'BEGIN;\nSELECT set_config('"'"'role'"'"', '"'"'authenticated'"'"', true), set_config('"'"'request.jwt.claims'"'"', '"'"'%s'"'"', true);\n%s\nCOMMIT;\n' "$CLAIMS" "${SQL[$name]}" >"$script"
  tps=$(pgbench -n -M extended -h "$SOCKET" -U postgres -c "$CONNECTIONS" -j 1 -T "$DURATION" -f "$script" postgres 2>/dev/null \
    | awk '/^tps/ {print $3; exit}')
  ratio=$(python3 -c "print(f'{$rps / $tps:.2f}')")
  printf '%-10s %12.0f %10s %10s %12.0f %8s\n' "$name" "$rps" "$p50" "$p99" "$tps" "$ratio"
done
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo
echo "oxforge peak RSS: $((rss / 1024)) MiB; $CONNECTIONS connections, ${DURATION}s per scenario, $(nproc) cores shared by wrk, oxforge and PostgreSQL"
