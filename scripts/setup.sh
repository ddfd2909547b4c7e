# Sourced by test.sh and example.sh: makes a fresh machine ready, and does nothing on a
# machine that already is. Installs Debian packages the Python ones and the browser tests
# need (as root only), starts the database and cache servers that are installed but down,
# and keeps .venv in step with pyproject.toml.

python=${PYTHON:-python3}

packages=(libmariadb-dev pkg-config gettext)
# The browser tests drive Debian's Chromium; CHROMIUM_PATH names another one.
[ -n "${CHROMIUM_PATH:-}" ] || packages+=(chromium)
need_apt=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || need_apt+=("$package")
done
if [ ${#need_apt[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
elif [ ${#need_apt[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "setup: missing Debian packages (install them as root): ${need_apt[*]}" >&2
fi

# The commands these machines use to start each server; each is a no-op when it runs.
if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no || true
fi
if command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; then
  if ! mariadb-admin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    for _ in $(seq 30); do mariadb-admin -h 127.0.0.1 -uroot ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "setup: installing the project and its development tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch .venv/.installed
fi
