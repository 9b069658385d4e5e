#!/usr/bin/env bash
# Rehearse docs/deployment.md on one machine, by hand (not CI): a fresh PostgreSQL database,
# two gunicorn app servers, nginx with TLS in front, an outage, then pg_dump and a restore.
# Everything lives under $WORK and on loopback ports; nothing system-wide is changed.
#   bench/deploy_rehearsal.sh            (needs nginx, openssl, curl and the local PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
APP="$PWD"
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo "$APP/.venv/bin/python" || echo /work/main/.venv/bin/python )}"
GUNICORN="$(dirname "$PY")/gunicorn"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${REHEARSAL_DB:-jixiao_rehearsal}"
WORK="${WORK:-/tmp/jixiao-rehearsal}"
A=8101; B=8102; DEAD=8103; HTTPS=8443; HTTP=8080
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS ${DB}_restore WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; exit 1; fi; }

rm -rf "$WORK"; mkdir -p "$WORK"
step "1. Database (docs: PostgreSQL)"
psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

step "2. Environment shared by both app servers (docs: /etc/jixiao/env)"
cat > "$WORK/env" <<EOF
DATABASE_URL=$PG/$DB
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
DEBUG=0
ALLOWED_HOSTS=localhost
CSRF_TRUSTED_ORIGINS=https://localhost:$HTTPS
BEHIND_PROXY=1
SECURE_SSL_REDIRECT=1
SECURE_HSTS_SECONDS=31536000
SECURE_HSTS_PRELOAD=0
DB_POOL_MAX=4
DB_POOL_TIMEOUT=3
WEB_CONCURRENCY=2
GUNICORN_THREADS=4
EOF
set -a; . "$WORK/env"; set +a

step "3. Release: migrate, messages, static files, deploy check (docs: Release)"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py compilemessages -v0 --ignore=.venv 2>/dev/null || echo "(gettext missing: compilemessages skipped)"
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py load_sample
check "cache table created by migrate" \
    "[ \"\$(psql -X -At \"$PG/$DB\" -c \"SELECT to_regclass('django_cache') IS NOT NULL\")\" = t ]"

step "4. Two app servers (docs: gunicorn)"
for port in $A $B; do
    BIND=127.0.0.1:$port "$GUNICORN" -c config/gunicorn.conf.py --access-logfile "$WORK/access-$port.log" \
        >"$WORK/gunicorn-$port.log" 2>&1 &
    pids+=($!)
done

step "5. nginx with TLS in front (docs: nginx)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/nginx-tmp"
# The site configuration exactly as docs/deployment.md gives it, with loopback ports and paths.
sed -n '/^# nginx: begin/,/^# nginx: end/p' docs/deployment.md | sed '1d;$d' \
    | sed -e "s/10.0.0.11:8000/127.0.0.1:$A/; s/10.0.0.12:8000/127.0.0.1:$B/" \
          -e "s/listen 443 ssl;/listen $HTTPS ssl;/; s/listen 80;/listen $HTTP;/" \
          -e "s/reports.example.gov.cn/localhost/g" \
          -e "s#/etc/ssl/jixiao/fullchain.pem#$WORK/cert.pem#; s#/etc/ssl/jixiao/privkey.pem#$WORK/key.pem#" \
          -e 's#https://$host$request_uri#https://$host:'"$HTTPS"'$request_uri#' > "$WORK/site.conf"
cat > "$WORK/nginx.conf" <<EOF
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events {}
http {
    access_log $WORK/nginx-access.log;
    client_body_temp_path $WORK/nginx-tmp/body;
    proxy_temp_path $WORK/nginx-tmp/proxy;
    fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
    scgi_temp_path $WORK/nginx-tmp/scgi;
    include $WORK/site.conf;
}
EOF
nginx -t -c "$WORK/nginx.conf" -p "$WORK" 2>&1 | tail -1
nginx -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 1 40); do curl -sk -o /dev/null "https://localhost:$HTTPS/healthz" && break; sleep 0.5; done

step "6. Checks through nginx"
base="https://localhost:$HTTPS"
check "http redirects to https" \
    "curl -s -o /dev/null -w '%{http_code}' http://localhost:$HTTP/ | grep -q 301"
check "health check 200" "curl -sk -o /dev/null -w '%{http_code}' $base/healthz | grep -q 200"
check "published sample report 200" \
    "curl -sk -o /dev/null -w '%{http_code}' $base/reports/2022/ | grep -q 200"
headers="$(curl -sk -D - -o /dev/null "$base/")"
check "HSTS header" "grep -qi '^strict-transport-security: max-age=31536000' <<<\"\$headers\""
check "CSP header" "grep -qi \"^content-security-policy: .*script-src 'self'\" <<<\"\$headers\""
for _ in $(seq 1 20); do curl -sk -o /dev/null "$base/"; done
check "both app servers answered" "[ -s $WORK/access-$A.log ] && [ -s $WORK/access-$B.log ]"
# One release, one page version: both app servers give a public page the same ETag, so a
# browser's or nginx's revalidation gets a 304 whichever server answers.
etag_of() { curl -s -D - -o /dev/null -H 'X-Forwarded-Proto: https' -H 'Host: localhost' \
    "http://127.0.0.1:$1/reports/2022/" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r'; }
etag_a="$(etag_of $A)"; etag_b="$(etag_of $B)"
check "the same ETag from both app servers ($etag_a)" "[ -n \"$etag_a\" ] && [ \"$etag_a\" = \"$etag_b\" ]"
# A session made on one app server is honoured by the other: sessions live in PostgreSQL.
"$PY" manage.py shell -v0 -c "
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser('rehearsal', password='rehearsal-Pass-123')" >/dev/null
jar="$WORK/cookies"
curl -sk -c "$jar" -b "$jar" -o /dev/null "$base/admin/login/"
token="$(awk '$6 == "csrftoken" {print $7}' "$jar")"
curl -sk -c "$jar" -b "$jar" -o /dev/null -H "Referer: $base/admin/login/" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode username=rehearsal \
    --data-urlencode password=rehearsal-Pass-123 --data-urlencode next=/admin/ "$base/admin/login/"
codes=""
for _ in 1 2 3 4 5 6; do codes+="$(curl -sk -b "$jar" -o /dev/null -w '%{http_code} ' "$base/admin/")"; done
check "logged in on every request, whichever server: $codes" "[ \"$codes\" = '200 200 200 200 200 200 ' ]"

step "7. Outage: an app server that cannot reach PostgreSQL"
DATABASE_URL="postgres://postgres@127.0.0.1:1/$DB" BIND=127.0.0.1:$DEAD \
    "$GUNICORN" -c config/gunicorn.conf.py >"$WORK/gunicorn-dead.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$DEAD/static/css/site.css" && break; sleep 0.5; done
dead="$(curl -s -D - -H 'X-Forwarded-Proto: https' -H 'Host: localhost' "http://127.0.0.1:$DEAD/reports/2022/")"
check "503 page with Retry-After, no traceback" \
    "grep -q '^HTTP/1.1 503' <<<\"\$dead\" && grep -qi '^retry-after: 30' <<<\"\$dead\" && grep -q '服务暂时不可用' <<<\"\$dead\" && ! grep -q Traceback <<<\"\$dead\""
check "health check 503" \
    "curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' http://127.0.0.1:$DEAD/healthz | grep -q 503"

step "8. Backup and restore (docs: Backups)"
pg_dump -Fc -f "$WORK/jixiao.dump" "$PG/$DB"
psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS ${DB}_restore" -c "CREATE DATABASE ${DB}_restore"
pg_restore --no-owner --exit-on-error -d "$PG/${DB}_restore" "$WORK/jixiao.dump"
counts() {
    psql -X -At "$PG/$1" -c "SELECT string_agg(format('%s=%s', c.relname,
        (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text),
        ' ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'"
}
check "every table has the same number of rows" "[ \"\$(counts $DB)\" = \"\$(counts ${DB}_restore)\" ]"
DATABASE_URL="$PG/${DB}_restore" "$PY" manage.py migrate --check -v0
echo "ok   restored database needs no migration"
report="$(DATABASE_URL="$PG/${DB}_restore" "$PY" manage.py shell -v0 -c "
from evaluations.models import Report
from indicators.models import Indicator
print(Report.objects.published().count(), Indicator.objects.count())")"
check "restored database serves the sample report ($report)" "[ \"$report\" = '$(DATABASE_URL="$PG/$DB" "$PY" manage.py shell -v0 -c "
from evaluations.models import Report
from indicators.models import Indicator
print(Report.objects.published().count(), Indicator.objects.count())")' ]"
ls -l "$WORK/jixiao.dump" | awk '{print "dump size", $5, "bytes"}'
echo; echo "Rehearsal passed $(date -u +%FT%TZ)"
