#!/usr/bin/env bash
# Runs every test: unit, protocol round-trip and integration (aws CLI and boto3 against a real
# server on a free port). Installs what the tests need first. Ends with one line
# "tests: N passed, N failed, N skipped".
set -uo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$top"

# Debian's aws CLI, boto3 and botocore models: the clients the integration tests drive and the
# models the generator and the API probe read. libxgboost0 is what Kiln.ML's XGBoost calls;
# python3-xgboost (with pandas) checks that its artifacts load in Python xgboost; s3cmd and rclone
# are two more S3 clients the integration tests drive.
test_packages=(awscli python3-boto3 python3-botocore libxgboost0 python3-xgboost python3-pandas s3cmd rclone zbar-tools)
missing=()
for p in "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { echo "test.sh: apt-get install failed"; exit 1; }
  else
    echo "test.sh: missing Debian packages; run: sudo apt-get install -y ${missing[*]}"; exit 1
  fi
fi

# ./kiln sets up and builds the server exactly as a user's first `./kiln serve` does.
./kiln version || exit 1
dotnet build Kiln.sln -c Release -nologo -v quiet -clp:ErrorsOnly || { echo "test.sh: build failed"; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test Kiln.sln -c Release --no-build -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one summary per test assembly; add them up into the one closing line.
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {printf "%d %d %d\n", p, f, s}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" -eq 0 ] && [ "$passed" -gt 0 ]
