#!/usr/bin/env bash
# A real PostgreSQL streaming replica of the local cluster, for the tests marked `replica`
# (tests/evaluations/test_replica.py): pg_basebackup -R into a second cluster on
# REPLICA_PORT (5433), hot standby, the public-page and API tests against it, then the
# replica is stopped and its directory removed whatever happened (trap). docs/scaling.md
# describes the same set-up for production.
set -euo pipefail
cd "$(dirname "$0")/.."

PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
version="$(ls /etc/postgresql | sort -n | tail -n1)"
bin="/usr/lib/postgresql/$version/bin"
if [ ! -x "$bin/pg_ctl" ] || ! command -v pg_basebackup >/dev/null; then
    echo "replica: PostgreSQL's server binaries are missing; the replica tests are not run"
    exit 0
fi

# The primary must accept replication connections from this host.
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    echo "host replication all 127.0.0.1/32 trust" >> "$hba"
    psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
fi

dir="$(mktemp -d /tmp/jixiao-replica.XXXXXX)"
db="jixiao_replica_$$"
stop() {
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    for name in "$db" "test_$db"; do
        psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -q -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true
    done
    [ -n "${KEEP_REPLICA_LOG:-}" ] && cp "$dir/log" /tmp/replica-last.log 2>/dev/null
    rm -rf "$dir"
}
trap stop EXIT
chown postgres "$dir"

echo "== replica: pg_basebackup -R of 127.0.0.1:$PRIMARY_PORT into $dir, hot standby on $REPLICA_PORT"
runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$dir/data" -R -X stream -c fast
# Debian keeps the primary's configuration in /etc; the standby gets its own, minimal one.
cat > "$dir/data/postgresql.conf" <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
hot_standby_feedback = on
CONF
# A standby needs at least the primary's values of these, or it refuses to start.
for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
        max_locks_per_transaction; do
    value="$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qAtc "SHOW $setting")"
    echo "$setting = $value" >> "$dir/data/postgresql.conf"
done
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$dir/data/pg_hba.conf"
: > "$dir/data/pg_ident.conf"
chown postgres "$dir/data/postgresql.conf" "$dir/data/pg_hba.conf" "$dir/data/pg_ident.conf"
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 300 start  # a loaded machine with a large primary: minutes, not seconds
psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -qAtc "SELECT pg_is_in_recovery()" | grep -qx t

psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -q -c "CREATE DATABASE $db"
DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$db" \
DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/$db" \
    .venv/bin/python -m pytest -m replica -p no:randomly --create-db -q "$@" tests/evaluations/test_replica.py
