#!/bin/sh
# Log EI (the default), UCB (kappa 2), PI, Thompson sampling and EI with the Bayesian strategy, on the public
# single-objective problems, through the outside driver; from the repository root, after `npm run build`.
# Each acquisition goes through the ask/tell CLI's --options (BayesianStrategyOptions.acquisition; PoolStrategy for pools).
set -e
OUT=${OUT:-bench/out/acquisitions}
PROBLEMS=${PROBLEMS:-branin,hartmann6,branin_mixed,hartmann6_infeasible,pool_activity,rosenbrock4,levy6,ackley10}
SEEDS=${SEEDS:-0-9}
JOBS=${JOBS:-2}
for acq in logEI UCB PI thompson EI; do
  nice -n 10 node ../shared/bench/drive.mjs --optimizer "node dist/libs/optimizer/src/cli/asktell.js --options '{\"acquisition\":{\"kind\":\"$acq\"}}'" \
    --label "$acq" --problem "$PROBLEMS" --seeds "$SEEDS" --jobs "$JOBS" --out "$OUT/$acq"
done
node ../shared/bench/drive.mjs --compare "$OUT/logEI" "$OUT/UCB" "$OUT/PI" "$OUT/thompson" "$OUT/EI"
