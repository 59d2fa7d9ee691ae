#!/usr/bin/env bash
# What `make bench` needs beyond `make test` (installs only what is missing; run as root):
#   pgloader                      the yardstick the benchmark compares the pipeline with
#   libmariadb-dev, pkg-config    headers to build mysqlclient (the C MySQL driver, extra [fast])
#   mariadb-client, postgresql-client   the raw `mariadb | psql \copy` pipe (the physical floor)
set -euo pipefail
PACKAGES=(pgloader libmariadb-dev pkg-config gcc mariadb-client postgresql-client)
source "$(dirname "$0")/apt-ensure.sh"
apt_ensure install-bench-deps "${PACKAGES[@]}"
