#!/usr/bin/env bash
# A PostgreSQL server for tests and benchmarks, in a folder of its own, on a free loopback
# port, run by an unprivileged user (`nobody` when started as root: the server refuses to
# run as root). Nothing outside DIR is touched.
#
#   throwaway_postgres.sh start DIR     initdb + start; prints the superuser's URL
#   throwaway_postgres.sh restart DIR   pg_ctl restart (fast: open sessions are cut off)
#   throwaway_postgres.sh stop DIR      stop the server and delete DIR
#
# The superuser is `hpo` with the password `hpo-test`, over TCP and over the socket in DIR
# (both scram-sha-256). Extra server settings: HPO_PG_SETTINGS="-c fsync=off ...".
set -euo pipefail

bin="${HPO_PG_BIN:-/usr/lib/postgresql/15/bin}"
command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start|restart|stop DIR" >&2
  exit 2
fi

# Runs a command as the folder's owner: as root, drop to nobody.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

pg_ctl_options() {
  echo "-c listen_addresses=127.0.0.1 -c port=$(cat "$dir/port") -k $dir -c max_connections=200 ${HPO_PG_SETTINGS:-}"
}

case "$command" in
  start)
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown nobody:nogroup "$dir"
    chmod 700 "$dir"
    echo "hpo-test" > "$dir/password"
    [[ "$(id -u)" == 0 ]] && chown nobody:nogroup "$dir/password"
    as_owner "$bin/initdb" -D "$dir/data" -U hpo --pwfile="$dir/password" -E UTF8 --locale=C.UTF-8 --no-sync \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: the kernel names one, and a lost race (another process took it before
    # the server did) is retried with a new one.
    for attempt in 1 2 3 4 5; do
      /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
        > "$dir/port"
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(pg_ctl_options)" start \
        >/dev/null; then
        echo "postgresql://hpo:hpo-test@127.0.0.1:$(cat "$dir/port")/postgres"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m fast -o "$(pg_ctl_options)" restart \
      >/dev/null
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|restart|stop DIR" >&2
    exit 2
    ;;
esac
