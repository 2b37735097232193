#!/usr/bin/env bash
# Starts the local services the test suite talks to, when they are down.
# Each start command is the machine's own; a service already up is left alone.
set -u
failed=0

is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_open() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do is_open "$port" && return 0; sleep 0.5; done
  echo "ensure-services: $name did not come up on port $port" >&2
  return 1
}

if ! is_open 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  wait_open 5432 PostgreSQL || failed=1
fi
if ! is_open 3306 && [ -x /usr/sbin/mariadbd ]; then
  echo "ensure-services: starting MariaDB"
  # /run is emptied at boot and only systemd would recreate this; without it mariadbd
  # cannot create its socket and aborts.
  install -d -o mysql -g mysql -m 0755 /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  wait_open 3306 MariaDB || failed=1
fi
if ! is_open 6379 && command -v redis-server >/dev/null 2>&1; then
  echo "ensure-services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_open 6379 Redis || failed=1
fi
# Under CI a service that stays down is a failure, said here first; elsewhere the
# test suite skips its tests with a notice.
if [ "$failed" -ne 0 ] && [ "${CI:-}" = "true" ]; then exit 1; fi
exit 0
