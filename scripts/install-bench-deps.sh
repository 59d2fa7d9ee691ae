#!/usr/bin/env bash
# What `make bench` needs beyond `make test` (installs only what is missing; run as root):
#   pgloader                      the yardstick the benchmark compares the pipeline with
#   libmariadb-dev, pkg-config    headers to build mysqlclient (the C MySQL driver, extra [fast])
#   mariadb-client, postgresql-client   the raw `mariadb | psql \copy` pipe (the physical floor)
set -euo pipefail
PACKAGES=(pgloader libmariadb-dev pkg-config gcc mariadb-client postgresql-client)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-bench-deps: missing ${missing[*]} and not root; install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
