#!/bin/sh
# UCB (kappa 2), PI and Thompson sampling against log EI (the default) with the Bayesian strategy, on the public
# single-objective problems, through the outside driver; from the repository root, after `npm run build`.
# Each acquisition goes through the ask/tell CLI's --options (BayesianStrategyOptions.acquisition; PoolStrategy for pools).
set -e
OUT=${OUT:-bench/out/acquisitions}
PROBLEMS=${PROBLEMS:-branin,hartmann6,branin_mixed,hartmann6_infeasible,pool_activity}
SEEDS=${SEEDS:-0-4}
for acq in logEI UCB PI thompson; do
  nice -n 10 node ../shared/bench/drive.mjs --optimizer "node dist/libs/optimizer/src/cli/asktell.js --options '{\"acquisition\":{\"kind\":\"$acq\"}}'" \
    --label "$acq" --problem "$PROBLEMS" --seeds "$SEEDS" --jobs 1 --out "$OUT/$acq"
done
node ../shared/bench/drive.mjs --compare "$OUT/logEI" "$OUT/UCB" "$OUT/PI" "$OUT/thompson"
