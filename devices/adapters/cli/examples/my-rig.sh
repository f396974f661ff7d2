#!/usr/bin/env bash
# Example rig script for the hakken CLI adapter (see ../README.md).
# stdin: the experiment's params as one JSON object, e.g. {"temperature": 80, "residence_min": 5}
# stdout: one JSON result object; stderr: logs, and "progress <fraction> <text>" lines.
# Exit non-zero when the condition failed (the stderr tail becomes the reason).
set -euo pipefail
params="$(cat)"
echo "experiment ${HAKKEN_EXPERIMENT_ID:-?} attempt ${HAKKEN_ATTEMPT:-?}: ${params}" >&2
echo "progress 0.5 heating" >&2
# A real rig would drive its hardware here; this one computes a fake yield with node.
node -e '
  const p = JSON.parse(process.argv[1]);
  if (p.temperature > 150) { console.error("reactor pressure above limit at " + p.temperature + " C"); process.exit(3); }
  const y = 100 * Math.exp(-(((p.temperature - 80) / 30) ** 2)) * Math.min(1, p.residence_min / 10);
  console.log(JSON.stringify({ values: { yield: Math.round(y * 100) / 100 }, metadata: { instrument: "example-hplc" } }));
' "$params"
