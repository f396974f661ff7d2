#!/bin/sh
# How the figures of this folder were made (from the repository root), on a 2-core machine shared with other work
# (load average 11-23 throughout), everything nice'd, one run at a time per process.
# BASE: a copy of the repository with the build of the code before the change (dist, package.json, node_modules and
# bench linked); AFTER: the same with the build of this change (repeatRadius 0.01); R05: the same with repeatRadius 0.05.
set -e
BASE=${BASE:-/work/repeat-base} AFTER=${AFTER:-/work/repeat-r01} R05=${R05:-/work/repeat-after} OUT=${OUT:-/tmp/rep}

# the diagnosis: the model at a few points of a run (replays its first k evaluations)
node "$BASE/dist/bench/suite/run.js" run --split all --only '^gp-0-d3$' --seeds 0 --jobs 1 --out "$OUT/base-trace"
node bench/results/repeats-2026-12-07/trace.mjs "$BASE/dist" "$OUT/base-trace/runs/gp-0-d3.s0.json" 12,18,22,25,32
node bench/results/repeats-2026-12-07/trace.mjs "$AFTER/dist" "$OUT/base-trace/runs/gp-0-d3.s0.json" 12,18,22,25,32

# tuning half, a subset (the noiseless families where repeats were seen, and a few noisy ones)
TUNE='^(ackley-4-d2-p4|ackley-5-d3-fail|levy-3-d4-p4|levy-2-d2-noisy-q4|rastrigin-5-d4-fail|rosenbrock-2-d2-fail-p4|styblinski-5-d4|styblinski-4-d4-p4|hartmann-5-d3|gp-7-d4-fail-q8|gp-4-d5-noisy|gp-10-d4-noisy-q8|gp-9-d2|gp-1-d4|composition-1-d4-q4|composition-5-d6-fail|mixed-0-d5-p4|reaction-2-d6-noisy-fail)$'
nice -n 10 node "$BASE/dist/bench/suite/run.js" run --split tune --only "$TUNE" --seeds 0-2 --jobs 1 --out "$OUT/tune-base"
nice -n 10 node "$R05/dist/bench/suite/run.js" run --split tune --only "$TUNE" --seeds 0-2 --jobs 1 --out "$OUT/tune-r05"
nice -n 10 node "$AFTER/dist/bench/suite/run.js" run --split tune \
  --only '^(styblinski-5-d4|hartmann-5-d3|gp-9-d2|gp-1-d4|composition-1-d4-q4|gp-7-d4-fail-q8|styblinski-4-d4-p4)$' \
  --seeds 0-2 --jobs 1 --out "$OUT/tune-r01b"

# public single-objective problems
P=branin,branin_mixed,hartmann6,hartmann6_infeasible,levy6,rosenbrock4,ackley10,pool_activity
nice -n 10 node dist/bench/asktell/run.js --optimizer "node $BASE/dist/libs/optimizer/src/cli/asktell.js" --problem $P --seeds 0-2 --jobs 1 --out "$OUT/pub-base"
nice -n 10 node dist/bench/asktell/run.js --optimizer "node $AFTER/dist/libs/optimizer/src/cli/asktell.js" --problem $P --seeds 0-2 --jobs 1 --out "$OUT/pub-r01"

# test half, once, with the final choice (a subset: the low-dimensional instances, where the repeats were measured)
TEST='^(gp-0-d3|levy-0-d3-q8|composition-3-d4|rastrigin-3-d4|gp-11-d2-p4|gp-5-d2-p4|styblinski-0-d2-fail|ackley-0-d2-noisy)$'
nice -n 10 node "$BASE/dist/bench/suite/run.js" run --split test --only "$TEST" --seeds 0-2 --jobs 1 --out "$OUT/test-base"
nice -n 10 node "$AFTER/dist/bench/suite/run.js" run --split test --only "$TEST" --seeds 0-2 --jobs 1 --out "$OUT/test-r01"

# the tables (median [Q1, Q3] log10 regret, share of the second half's evaluations within 0.02 of an earlier one in
# every coordinate of the unit box, categoricals equal; tie: the difference of the medians within the larger IQR)
for pair in "tune-base tune-r05" "tune-base tune-r01b" "test-base test-r01"; do
  set -- $pair; node bench/results/repeats-2026-12-07/analyse.mjs "$PWD/dist" suite "$OUT/$1" "$OUT/$2"
done
node bench/results/repeats-2026-12-07/analyse.mjs "$PWD/dist" public "$OUT/pub-base" "$OUT/pub-r01"

# variant x (exclusion only: `let model = gp` instead of `quiet ?? gp` in bayesian-strategy.ts), radius 0.01, built into $X
X=${X:-/work/repeat-x01}
nice -n 10 node dist/bench/asktell/run.js --optimizer "node $X/dist/libs/optimizer/src/cli/asktell.js" --problem branin,branin_mixed --seeds 0-2 --jobs 1 --out "$OUT/pub-x01"
nice -n 10 node dist/bench/asktell/run.js --optimizer "node $X/dist/libs/optimizer/src/cli/asktell.js" --problem hartmann6,levy6,rosenbrock4 --seeds 0-2 --jobs 1 --out "$OUT/pub-x01b"
nice -n 10 node "$X/dist/bench/suite/run.js" run --split tune --only '^(gp-1-d4|hartmann-5-d3)$' --seeds 0-2 --jobs 1 --out "$OUT/tune-x01"
# variant r with radius 0.001 on branin (built into /work/repeat-r001; stopped after branin's three seeds)
nice -n 10 node dist/bench/asktell/run.js --optimizer "node /work/repeat-r001/dist/libs/optimizer/src/cli/asktell.js" --problem branin,branin_mixed --seeds 0-2 --jobs 1 --out "$OUT/pub-r001"
