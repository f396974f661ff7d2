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
bo gp-0-d3 composition-3-d4 reaction-4-d6-noisy-fail &
bo levy-0-d3-q8 gp-3-d7-noisy styblinski-2-d5-noisy mixed-6-d4 &
wait

# the comparison (hakken first)
node dist/bench/suite/run.js compare "$OUT/hakken" "$OUT/botorch" --names hakken,botorch
