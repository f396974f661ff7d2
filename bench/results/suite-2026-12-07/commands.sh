#!/bin/sh
# How the figures of this folder were made (from the repository root, after `npm run build`),
# on a 2-core machine shared with other work (load average 15-17): everything nice'd, BoTorch on one thread.
# BoTorch: ../shared/bench/anchors/SETUP.md's stack (botorch v0.9.5, gpytorch v1.11, linear_operator v0.5.1,
# pyro 1.8.6, pyro-api 0.1.2, opt_einsum v3.3.0, jaxtyping v0.2.19, typeguard 2.13.3, every tag present)
# checked out with `git archive <tag>` into $BO_SRC=/work/botorch-stack, on Debian's python3-torch 1.13.
set -e
OUT=${OUT:-/tmp/suite-out}
PILOT='^(gp-3-d7-noisy|composition-0-d6|ackley-3-d12|reaction-4-d6-noisy-fail|mixed-6-d4|hartmann-3-d8|styblinski-2-d5-noisy|gp-0-d3|levy-0-d3-q8|composition-3-d4)$'

# hakken, the default strategy of `npm run asktell` (bench:suite's default optimizer)
nice -n 10 node dist/bench/suite/run.js run --split test --only "$PILOT" --seeds 0-2 --jobs 1 --out "$OUT/hakken"

# BoTorch qLogEI (10 restarts, 512 raw samples, 256 MC samples), one problem at a time, two such loops at once
bo() {
  for p in "$@"; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 10 node dist/bench/suite/run.js run --split test \
      --only "^$p\$" --seeds 0-2 --jobs 1 --timeout 900 \
      --optimizer "BO_SRC=/work/botorch-stack sh ../shared/bench/anchors/botorch.sh --restarts 10 --raw-samples 512 --mc 256" \
      --out "$OUT/botorch"
  done
}
# what ran before the 18:25 stop (the rest of each list was cut): levy-0-d3-q8, then gp-3-d7-noisy (2 seeds);
# gp-0-d3 and composition-3-d4 (3 seeds each)
bo levy-0-d3-q8 gp-3-d7-noisy styblinski-2-d5-noisy mixed-6-d4 &
bo gp-0-d3 composition-3-d4 reaction-4-d6-noisy-fail &
wait

# hakken on the other test instances, cheapest first (cut at the 14-D Levy: the 14-16-D instances did not run)
for p in ackley-0-d2-noisy styblinski-0-d2-fail rastrigin-0-d2-p4 gp-11-d2-p4 gp-5-d2-p4 gp-8-d2-noisy-q4 ackley-2-d4-q4 \
  rastrigin-3-d4 mixed-3-d4-fail composition-4-d4-noisy-p4 reaction-3-d6-noisy-fail reaction-5-d6-noisy-fail-q4 mixed-7-d6-fail \
  mixed-4-d6-q4 gp-2-d7-q8 hartmann-0-d10 hartmann-2-d10-p4 styblinski-1-d12-q8 levy-4-d14-fail levy-1-d14-p4 rastrigin-4-d14 \
  rosenbrock-1-d14 rosenbrock-3-d16-q8 rosenbrock-5-d16-fail-q8; do
  nice -n 10 node dist/bench/suite/run.js run --split test --only "^$p\$" --seeds 0-2 --jobs 1 --out "$OUT/hakken"
done

# random search on the whole test half
nice -n 10 node dist/bench/suite/run.js run --split test --seeds 0-2 --jobs 1 --optimizer "node ../shared/bench/anchors/random.mjs" --out "$OUT/random"

# the comparison (hakken first)
node dist/bench/suite/run.js compare "$OUT/hakken" "$OUT/botorch" "$OUT/random" --names hakken,botorch,random
node dist/bench/suite/run.js compare "$OUT/hakken" "$OUT/random" --names hakken,random
