// batch-spread.mjs — how far apart the points of one batch are: for each ask
// after the initial design (the first two asks of a batch of 4), the smallest
// distance between two of its points in the unit box of a 2-parameter problem.
// Usage: node batch-spread.mjs <drive.mjs --out dir>...
import fs from 'node:fs';

for (const dir of process.argv.slice(2)) {
  const mins = [];
  for (const f of fs.readdirSync(`${dir}/runs`)) {
    const r = JSON.parse(fs.readFileSync(`${dir}/runs/${f}`));
    const byAsk = new Map();
    for (const e of r.evaluations) {
      if (!byAsk.has(e.ask)) byAsk.set(e.ask, []);
      byAsk.get(e.ask).push(Object.values(e.params));
    }
    for (const [k, pts] of byAsk) {
      if (k < 2) continue;
      let d = Infinity;
      for (let a = 0; a < pts.length; a++) for (let b = a + 1; b < pts.length; b++) d = Math.min(d, Math.hypot(...pts[a].map((v, i) => v - pts[b][i])));
      mins.push(d);
    }
  }
  mins.sort((a, b) => a - b);
  const q = (p) => mins[Math.floor(p * (mins.length - 1))].toFixed(4);
  const close = (mins.filter((d) => d < 0.01).length / mins.length).toFixed(2);
  console.log(`${dir}: ${mins.length} batches; smallest distance within a batch: median ${q(0.5)}, Q1 ${q(0.25)}, min ${q(0)}; share under 0.01: ${close}`);
}
