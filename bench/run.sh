#!/usr/bin/env bash
# Storage benchmarks, Warren vs the reference RabbitMQ. See bench/README.md; `bench/run.sh --help`.
#   bench/run.sh --quick            1 round, 5 s per steady scenario, backlog 100k (a few minutes)
#   bench/run.sh                    3 rounds, 10 s, backlog 1,000,000 (about 15 minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node bench/run.mjs "$@"
