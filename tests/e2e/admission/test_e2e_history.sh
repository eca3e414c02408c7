#!/usr/bin/env bash
# test_e2e_history.sh — certificate history for auditors (GET /v1/certificates, docs/admission.md) over more
# than 10,000 certificates, from the real teecert-verifier: a root CA (teecert-ca init) that issued a few
# certificates through the client commands, and a sub-CA with 10,000 certificates seeded by adm_seed through
# sql/ (as the CA writes them; the pattern of tee, status, hardware id and workload info hash is in
# adm_seed.c). Keyset paging (limit 1000, and 317 with filters) must visit every matching row exactly once,
# in (created_at, serial) order, and each filter must return exactly the rows the seeding rule predicts.
# Usage: test_e2e_history.sh TEECERT TEECERT_CA TEECERT_VERIFIER ADM_SEED
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; tverifier="$(readlink -f "$3")"; seed="$(readlink -f "$4")"
N=10000 WORKLOADS=100 HWIDS=7
# shellcheck source=../lib/e2e_ca.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
e2e_init hist
E2E_FAIL_ALSO=(page.json)
cd "$E2E_DIR"

e2e_root "$teecert" "$ca" root1
e2e_start serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) \
  --policy <(echo '{"allow_simulated": true}') --public-url http://127.0.0.1:1
e2e_start v "$tverifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN"
url="$(e2e_started serve.out)"; [ -n "$url" ] || e2e_fail "CA did not start"
vurl="$(e2e_started v.out)"; [ -n "$vurl" ] || e2e_fail "verifier did not start"

# A few real certificates from the root (two cvm, one workload), then the bulk under the sub-CA.
"$teecert" request cvm --ca "$url" --out cvm1 --sim pki >/dev/null || e2e_fail "request cvm1"
"$teecert" request cvm --ca "$url" --out cvm2 --sim pki >/dev/null || e2e_fail "request cvm2"
echo '{"runtime_info": [], "created_at": "2026-01-01T00:00:00Z"}' > wi.json
"$teecert" request workload --ca "$url" --out wl --sim pki --cvm-cert cvm1/cert.pem --workload-info wi.json >/dev/null ||
  e2e_fail "request workload"
sleep 1.1
t0="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
start=$(date +%s%N)
"$seed" --db "$E2E_DSN" --parent root1 --name bulk-sub --n "$N" >seed.out || e2e_fail "adm_seed"
echo "seeded $N certificates in $(( ($(date +%s%N) - start) / 1000000 )) ms"
sleep 1.1
t1="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
total="$(e2e_sql "SELECT count(*) FROM certificates")"
[ "$total" = $((N + 4)) ] || e2e_fail "certificates: $total rows, want $((N + 4)) (root, 2 cvm, 1 workload, bulk)"

# Every page of QUERY (LIMIT per page), following next_cursor: serials into OUT, one per line, in order.
page_all() { # QUERY LIMIT OUT
  local cursor="" q pages=0
  : > "$3"
  while :; do
    q="$1${1:+&}limit=$2${cursor:+&cursor=$cursor}"
    curl -sf "$vurl/v1/certificates?$q" > page.json || e2e_fail "GET /v1/certificates?$q"
    jq -e --argjson l "$2" '(.certificates | length) <= $l' page.json >/dev/null || e2e_fail "page over the limit"
    jq -r '.certificates[].serial' page.json >> "$3"
    cursor="$(jq -r '.next_cursor // empty' page.json)"
    pages=$((pages + 1))
    [ -n "$cursor" ] || break
    jq -e '(.certificates | length) > 0' page.json >/dev/null || e2e_fail "an empty page with a next cursor"
  done
  [ "$(sort "$3" | uniq -d | wc -l)" = 0 ] || e2e_fail "$1: a row seen twice"
  echo "  $1: $(wc -l < "$3") rows in $pages pages of $2"
}
# The bulk rows the seeding rule selects (adm_seed.c), as serials: awk prints 11 00.. i for every matching i.
bulk() { # AWK-CONDITION on i
  awk -v n="$N" -v w="$WORKLOADS" "BEGIN { for (i = 0; i < n; i++) if ($1) printf \"110000000000000000000000%08x\\n\", i }"
}
same() { # GOT WANT NAME
  cmp -s <(sort "$1") <(sort "$2") || e2e_fail "$3: $(comm -3 <(sort "$1") <(sort "$2") | head -5 | tr '\n' ' ') ..."
}

start=$(date +%s%N)
page_all "" 1000 all.txt
e2e_sql "SELECT encode(serial, 'hex') FROM certificates ORDER BY created_at, serial" > all.sql
cmp -s all.txt all.sql || e2e_fail "the unfiltered walk is not every row once in (created_at, serial) order"
echo "  paged $total rows in $(( ($(date +%s%N) - start) / 1000000 )) ms"

revoked='i % 10 == 5'
expired='i % 13 == 0 && !(i % 10 == 5)'
workload="i >= n - w"
bulk "$revoked" > want; page_all "status=revoked" 317 got; same got want "status=revoked"
bulk "$expired" > want; page_all "status=expired" 317 got; same got want "status=expired"
bulk "i % 3 == 0" > want; page_all "tee=snp" 1000 got; same got want "tee=snp"
bulk "i % $HWIDS == 3" > want; page_all "hardware_id=hw-3" 317 got; same got want "hardware_id=hw-3"
bulk "$workload && i % 2 == 1" > want
page_all "kind=workload&workload_info_hash=$(printf 'aa%.0s' $(seq 32))" 317 got; same got want "workload_info_hash aa.."
{ bulk "!($workload) && i % 3 != 0 && !($revoked) && !(i % 13 == 0)"; e2e_sql "SELECT encode(c.serial, 'hex') FROM certificates c
  JOIN cas ON cas.id = c.ca WHERE cas.name = 'root1' AND c.kind = 'cvm'"; } > want
page_all "kind=cvm&tee=tdx&status=valid" 1000 got; same got want "kind=cvm&tee=tdx&status=valid"
bulk "1" > want; page_all "issuer_ca=bulk-sub" 1000 got; same got want "issuer_ca=bulk-sub"
bulk "1" > want; page_all "issued_from=$t0&issued_to=$t1" 1000 got; same got want "issued_from/issued_to"
e2e_sql "SELECT encode(c.serial, 'hex') FROM certificates c JOIN cas ON cas.id = c.ca WHERE cas.name = 'root1'" > want
page_all "issuer_ca=root1" 2 got; same got want "issuer_ca=root1"
[ "$(wc -l < got)" = 4 ] || e2e_fail "issuer_ca=root1: $(wc -l < got) rows, want 4"
bulk "$revoked && i % 3 == 0 && i % $HWIDS == 3" > want
page_all "status=revoked&tee=snp&hardware_id=hw-3" 10 got; same got want "three filters"

# The pages are small and the limit is enforced.
for bad in "limit=0" "limit=1001" "kind=bogus" "status=gone" "cursor=!!!" "issued_from=yesterday" "kind=cvm&kind=cvm"; do
  code="$(curl -s -o page.json -w '%{http_code}' "$vurl/v1/certificates?$bad")"
  [ "$code" = 400 ] || e2e_fail "$bad: HTTP $code, want 400"
  [ "$(jq -r .code page.json)" = invalid_argument ] || e2e_fail "$bad: $(cat page.json)"
done
# The same through the client: the last page of a filter has no cursor.
"$teecert" certs list --verifier "$vurl" --issuer-ca root1 --kind workload --json > cli.json || e2e_fail "certs list"
jq -e '(.certificates | length) == 1 and .next_cursor == null' cli.json >/dev/null || e2e_fail "certs list: $(cat cli.json)"
# Every service stops cleanly (exit 0: no leak or crash under the sanitizers).
e2e_stop_all
echo "e2e history: $total certificates, keyset paging and 10 filters: ok"
