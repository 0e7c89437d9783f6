#!/usr/bin/env bash
# Installs every Debian package hpo needs to build, test and run. Idempotent: when all
# packages are present it changes nothing and touches no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libsqlitecpp-dev libsqlite3-dev sqlite3
  postgresql libpq-dev python3-psycopg2
  libboost-program-options-dev libgtest-dev nlohmann-json3-dev zlib1g-dev
  python3-optuna python3-torch
  clang libclang-rt-14-dev
  dataset-fashion-mnist
  libcpp-httplib-dev chromium libpng-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
