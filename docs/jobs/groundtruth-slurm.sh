#!/bin/bash
# A Slurm job array that makes the ground-truth table on many machines over a shared directory:
# task i of n runs `graphenas groundtruth --shard i/n`. Jobs never overlap (each holds a lock
# while it trains), a killed task continues from its checkpoints when resubmitted, and a task
# finds the jobs already finished and skips them, so resubmitting the whole array is safe.
#
#   sbatch --array=0-15 docs/jobs/groundtruth-slurm.sh
#   graphenas groundtruth --out "$TABLE" --collect      # afterwards, anywhere: table.csv and its summary
#
# Set TABLE to a directory every node sees (NFS, Lustre); GRAPHENAS to the built command line
# (GOEXPERIMENT=simd go build -o graphenas ./graphenas/cmd/graphenas); the data set must be where
# graphenas looks for it on every node ($GRAPHENAS_DATA, /usr/share/datasets/fashion-mnist, …).
#SBATCH --job-name=graphenas-groundtruth
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=groundtruth-%A_%a.log
set -euo pipefail
: "${TABLE:?set TABLE to the shared directory of the table}"
GRAPHENAS=${GRAPHENAS:-graphenas}
n=${SLURM_ARRAY_TASK_COUNT:?submit as an array: sbatch --array=0-15 ...}
# SLURM_ARRAY_TASK_ID counts from the array's first index; --array=0-(n-1) makes it the shard.
i=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
exec "$GRAPHENAS" groundtruth --out "$TABLE" --archs 150 --repeated 30 --seeds 3 --shard "$i/$n" --quiet
