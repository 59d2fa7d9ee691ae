#!/usr/bin/env bash
# Debian packages the reports and their tests need; installs only what is missing (fast when all
# are there). Run as root (the machine and CI are).
#   chromium, chromium-driver   headless browser for the HTML report tests (selenium drives it)
#   libpango-1.0-0, libpangoft2-1.0-0, fonts-dejavu-core
#                               what weasyprint (ringkasan.pdf) loads at run time
#   libharfbuzz-subset0         font subsetting in C for weasyprint; without it fontTools
#                               subsets in Python, about 0.7 s of each PDF
set -euo pipefail
# --runtime: only what a run needs (the PDF summary); without it also the browser for the tests.
RUNTIME=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [[ "${1:-}" == "--runtime" ]]; then
  PACKAGES=("${RUNTIME[@]}")
else
  PACKAGES=(chromium chromium-driver "${RUNTIME[@]}")
fi
source "$(dirname "$0")/apt-ensure.sh"
apt_ensure install-system-deps "${PACKAGES[@]}"
