#!/bin/sh
# Runs the benchmark harness: hub and the Node reference server (socket.io 4.8.1) side by side,
# every scenario, one table with the ratios hub/Node. Flags go to hubbench, e.g.
#   bench/run.sh              the default, modest scale (a few minutes)
#   bench/run.sh -smoke       every scenario tiny (CI's smoke run)
#   bench/run.sh -cpuprofile /tmp/hub.pprof
set -e
cd "$(dirname "$0")/.."
exec go run ./bench/cmd/hubbench "$@"
