#!/bin/bash
# usage: gpu_queue.sh JOBFILE SLOTS CORES_PER_SLOT DEADLINE_S   (each line of JOBFILE: NAME ARGS...)
# Runs the jobs on the GPU, SLOTS at a time, each slot pinned to its own cores; writes runs/gpu/NAME.
JOBS=$1; SLOTS=${2:-4}; CORES=${3:-4}; DEADLINE=${4:-540}
mkdir -p runs/gpu
start=$(date +%s)
slot() {
  s=$1; i=0
  while read -r name args; do
    [ -z "$name" ] && continue
    if [ $((i % SLOTS)) -eq $s ]; then
      left=$((DEADLINE - ($(date +%s) - start)))
      if [ $left -gt 30 ]; then
        echo "[$(date +%T)] slot $s start $name ($args)"
        timeout $left taskset -c $((s*CORES))-$((s*CORES+CORES-1)) python3 -m helpers.train --data-root /tmp/jpeg \
          --device cuda --no-progress --out runs/gpu/$name $args > runs/gpu/$name.log 2>&1
        echo "[$(date +%T)] slot $s end $name rc=$? $(tail -1 runs/gpu/$name.log)"
      fi
    fi
    i=$((i+1))
  done < "$JOBS"
}
for s in $(seq 0 $((SLOTS-1))); do slot $s & done
wait
