#!/bin/sh
# How the figures of this folder were made (from the repository root), on a 2-core machine shared with five other
# sessions (load average 4-11), everything nice'd, one benchmark process at a time.
# DIST: the build of the commit that measured the variants (repeatWhen in bayesian-options.ts; the commit after it
# takes the option out again, see README.md). The default (no --options) is the same code path as before the change.
set -e
DIST=${DIST:-$PWD/dist} OUT=${OUT:-/tmp/gen}
TUNE='^(ackley-4-d2-p4|ackley-5-d3-fail|levy-3-d4-p4|levy-2-d2-noisy-q4|rastrigin-5-d4-fail|rosenbrock-2-d2-fail-p4|styblinski-5-d4|styblinski-4-d4-p4|hartmann-5-d3|gp-7-d4-fail-q8|gp-4-d5-noisy|gp-10-d4-noisy-q8|gp-9-d2|gp-1-d4|mixed-0-d5-p4|styblinski-3-d5|rosenbrock-4-d8|levy-5-d8-fail)$'
PUB=branin,branin_mixed,hartmann6,levy6,rosenbrock4
opt() { if [ -z "$1" ]; then echo "node $DIST/libs/optimizer/src/cli/asktell.js"; else echo "node $DIST/libs/optimizer/src/cli/asktell.js --options '$1'"; fi; }

# base: the current default. The first 15 tuning instances' base runs are those of bench/results/repeats-2026-12-07
# (runs.tar.gz, tune-base): the code path is unchanged since, checked by rerunning hartmann-5-d3 seed 0 (-1.58, the same
# run); the last three were run here.
nice -n 10 node "$DIST/bench/suite/run.js" run --split tune --only "$TUNE" --seeds 0-2 --jobs 1 --out "$OUT/tune-base"
for v in 's5 {"repeatRadius":0.01,"repeatWhen":"unimproved","repeatStall":5}' \
         'e {"repeatRadius":0.01,"repeatWhen":"stalled"}' \
         'r01 {"repeatRadius":0.01}'; do
  set -- $v
  nice -n 10 node "$DIST/bench/suite/run.js" run --split tune --only "$TUNE" --seeds 0-2 --jobs 1 --optimizer "$(opt "$2")" --out "$OUT/tune-$1"
done
# public problems, every variant in the same session as the base
nice -n 10 node "$DIST/bench/asktell/run.js" --optimizer "$(opt '')" --problem $PUB --seeds 0-2 --jobs 1 --out "$OUT/pub-base"
for v in 's5 {"repeatRadius":0.01,"repeatWhen":"unimproved","repeatStall":5}' \
         'e {"repeatRadius":0.01,"repeatWhen":"stalled"}' \
         'r01 {"repeatRadius":0.01}'; do
  set -- $v
  nice -n 10 node "$DIST/bench/asktell/run.js" --optimizer "$(opt "$2")" --problem $PUB --seeds 0-2 --jobs 1 --out "$OUT/pub-$1"
done

# the tables (median [Q1, Q3] of the final log10 regret over seeds 0-2; repeat share: the second half's evaluations
# within 0.02 of an earlier one in every coordinate of the unit box; tie: difference of the medians within the larger IQR)
A=bench/results/generalise-2026-12-08/analyse.mjs
for v in s5 e r01; do
  node $A "$PWD/dist" suite "$OUT/tune-base" "$OUT/tune-$v" base $v
  node $A "$PWD/dist" public "$OUT/pub-base" "$OUT/pub-$v" base $v
done

# the lengthscale prior with the location of d = 1 (d-independent) on the two 8-D instances of the subset
J='{"gp":{"priors":{"lengthscale":{"loc":1.4142135623730951,"scale":1.7320508075688772},"outputscale":{"loc":0,"scale":1.5},"noise":{"loc":-4,"scale":1}}}}'
nice -n 10 node "$DIST/bench/suite/run.js" run --split tune --only '^(rosenbrock-4-d8|levy-5-d8-fail)$' --seeds 0-2 --jobs 1 --optimizer "$(opt "$J")" --out "$OUT/tune-flat"
SEEDS=1 node $A "$PWD/dist" suite "$OUT/tune-base" "$OUT/tune-flat" base flat
