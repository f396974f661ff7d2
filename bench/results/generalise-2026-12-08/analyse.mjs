// usage: node analyse.mjs DIST suite|public DIR_A [DIR_B [LABEL_A LABEL_B]]  -> per problem: median [Q1,Q3] log10 regret,
// repeat share and (public, or SEEDS=1) every seed's final log10 regret; a DIR may be several folders joined by ','
// (from bench/results/repeats-2026-12-07/analyse.mjs, with the seed-for-seed column and merged folders)
import { readdirSync, readFileSync } from 'node:fs';
const [dist, kind, ...rest] = process.argv.slice(2);
const dirs = rest.filter((a) => a.startsWith('/'));
const labels = rest.filter((a) => !a.startsWith('/'));
const seedCol = kind === 'public' || process.env.SEEDS === '1';
const { suiteInstance } = await import(`${dist}/bench/suite/suite.js`);
const { problemByName } = await import(`${dist}/bench/asktell/problems.js`);
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); const i = (s.length - 1) * p; const lo = Math.floor(i); return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo); };
function repeats(run, params) {
  const unit = (p) => params.map((s) => s.type === 'categorical' ? String(p[s.name]) : (p[s.name] - s.low) / (s.high - s.low || 1));
  const X = run.evaluations.map((e) => unit(e.params));
  const half = Math.floor(X.length / 2);
  let r = 0;
  for (let i = half; i < X.length; i++) {
    if (X.slice(0, i).some((y) => y.every((v, k) => typeof v === 'string' ? v === X[i][k] : Math.abs(v - X[i][k]) <= 0.02))) r++;
  }
  return [r, X.length - half];
}
function load(dirList) {
  const out = {};
  for (const dir of dirList.split(',')) for (const f of readdirSync(`${dir}/runs`)) {
    const run = JSON.parse(readFileSync(`${dir}/runs/${f}`, 'utf8'));
    const name = run.problem.name ?? run.problem;
    const inst = kind === 'suite' ? suiteInstance(name) : problemByName(name);
    const key = kind === 'suite' ? name : `${name}${f.match(/\.q\d+/)?.[0] ?? ''}`;
    (out[key] ??= []).push({ seed: run.seed, regret: Math.max(-8, run.finalLog10Regret), rep: repeats(run, inst.parameters) });
  }
  return out;
}
const sets = dirs.map(load);
const names = Object.keys(sets[0]).filter((n) => sets.every((s) => s[n])).sort();
const fmt = (rs) => `${q(rs, 0.5).toFixed(2)} [${q(rs, 0.25).toFixed(2)}, ${q(rs, 0.75).toFixed(2)}]`;
const lab = (i) => labels[i] ?? (i ? 'after' : 'before');
console.log(`| problem | ${dirs.map((d, i) => `regret ${lab(i)}`).join(' | ')} | ${dirs.map((d, i) => `repeats ${lab(i)}`).join(' | ')} |${seedCol ? ' seed for seed (0, 1, 2) |' : ''} verdict |`);
console.log(`|---|${dirs.map(() => '---|---|').join('')}${seedCol ? '---|' : ''}---|`);
let w = 0, t = 0, l = 0, diffs = [], repB = [0, 0], repA = [0, 0];
for (const n of names) {
  const seeds = sets.map((s) => new Set(s[n].map((r) => r.seed)));
  const common = [...seeds[0]].filter((x) => seeds.every((s) => s.has(x)));
  const rows = sets.map((s) => s[n].filter((r) => common.includes(r.seed)).sort((a, b) => a.seed - b.seed));
  const regs = rows.map((r) => r.map((x) => x.regret));
  const reps = rows.map((r) => r.map((x) => `${x.rep[0]}/${x.rep[1]}`).join(', '));
  rows[0].forEach((x) => { repB[0] += x.rep[0]; repB[1] += x.rep[1]; });
  if (rows[1]) rows[1].forEach((x) => { repA[0] += x.rep[0]; repA[1] += x.rep[1]; });
  let verdict = '';
  if (regs.length > 1) {
    const d = q(regs[1], 0.5) - q(regs[0], 0.5);
    const iqr = Math.max(...regs.map((r) => q(r, 0.75) - q(r, 0.25)));
    diffs.push(d);
    verdict = Math.abs(d) <= iqr ? 'tie' : d < 0 ? 'win' : 'loss';
    if (verdict === 'win') w++; else if (verdict === 'tie') t++; else l++;
    verdict += ` (${d >= 0 ? '+' : ''}${d.toFixed(2)})`;
  }
  const seedwise = regs.map((r) => r.map((v) => v.toFixed(2)).join(', ')).join(' → ');
  console.log(`| ${n} (${common.length}) | ${regs.map(fmt).join(' | ')} | ${reps.join(' | ')} |${seedCol ? ` ${seedwise} |` : ''} ${verdict} |`);
}
if (sets.length > 1) console.log(`\n${lab(1)} vs ${lab(0)}: ${w} wins, ${t} ties, ${l} losses; median difference ${q(diffs, 0.5).toFixed(2)}; repeat share before ${repB[0]}/${repB[1]}, after ${repA[0]}/${repA[1]}`);
