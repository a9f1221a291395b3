#!/usr/bin/env bash
# The stand-in's entrypoint: what the official postgres image's entrypoint does that compose
# relies on. As root it fixes ownership and drops to postgres; on an empty PGDATA it runs
# initdb with POSTGRES_USER / POSTGRES_PASSWORD, creates POSTGRES_DB, runs the init scripts,
# then starts the server with the given arguments.
set -euo pipefail

if [[ "$(id -u)" == "0" ]]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  exec gosu postgres "$0" "$@"
fi

user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set on a new database}"
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 --username "$user" --no-password -p 5432 -h /var/run/postgresql)
  if [[ "$database" != "postgres" ]]; then
    "${psql[@]}" --dbname postgres -c "CREATE DATABASE \"$database\""
  fi
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh)
        # shellcheck disable=SC1090  # the caller's init scripts, sourced as the official image does
        if [[ -x "$script" ]]; then "$script"; else . "$script"; fi ;;
      *.sql) "${psql[@]}" --dbname "$database" -f "$script" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
