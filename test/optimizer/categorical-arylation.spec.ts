/**
 * The purpose of descriptor encoding on measured data: the direct-arylation
 * pool (Shields et al., Nature 590, 89–96, 2021; 1,728 reactions = 4 bases ×
 * 12 ligands × 4 solvents × 3 concentrations × 3 temperatures, 7 DFT
 * descriptors per base, ligand and solvent). A surrogate fitted on 100
 * reactions predicts held-out reactions, among them reactions whose ligand
 * never occurs in training, with the categorical parameters encoded by
 * descriptors and one-hot.
 */
import { Space, type Params, ExtraTrees, GaussianProcess, type Surrogate, Encoder } from '#optimizer';
import { directArylationEmulator } from '#simulators';
import { Rng } from '#random';

interface Reaction {
  params: Params;
  yield: number;
}

function reactions(): { space: Space; data: Reaction[] } {
  const pool = directArylationEmulator();
  const space = Space.parse(pool.campaignParameters());
  const data: Reaction[] = [];
  for (const base of pool.choices.base)
    for (const ligand of pool.choices.ligand)
      for (const solvent of pool.choices.solvent)
        for (const c of pool.grids.concentration_M)
          for (const t of pool.grids.temperature_C) {
            const a = pool.evaluate({ base, ligand, solvent, concentration_M: c, temperature_C: t });
            if (!a.ok) throw new Error(a.reason);
            data.push({ params: { base, ligand, solvent, concentration_M: String(c), temperature_C: String(t) }, yield: a.values.yield });
          }
  return { space, data };
}

function rmse(a: ArrayLike<number>, b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / b.length);
}

function ranks(v: ArrayLike<number>): number[] {
  const r = new Array<number>(v.length);
  Array.from({ length: v.length }, (_, i) => i)
    .sort((i, j) => v[i] - v[j])
    .forEach((i, k) => (r[i] = k));
  return r;
}

function spearman(a: ArrayLike<number>, b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (b.length - 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < b.length; i++) {
    sab += (ra[i] - m) * (rb[i] - m);
    saa += (ra[i] - m) ** 2;
    sbb += (rb[i] - m) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('categorical descriptors on the direct-arylation pool', () => {
  const { space, data } = reactions();
  const encoders = { descriptors: new Encoder(space), 'one-hot': new Encoder(space, { categorical: 'one-hot' }) };

  it('encodes every categorical by its DFT descriptors (7 per component, 1 per ordinal) and round-trips every reaction', () => {
    expect(data).toHaveLength(1728);
    const enc = encoders.descriptors;
    expect(enc.categoricals).toEqual([]);
    expect(enc.descriptorCategoricals.map((b) => b.size)).toEqual([7, 7, 7, 1, 1]);
    expect(enc.dim).toBe(23);
    expect(encoders['one-hot'].dim).toBe(4 + 12 + 4 + 3 + 3);
    for (const d of data) expect(enc.decode(enc.encode(d.params))).toEqual(d.params);
  });

  // Measured (4 draws): extra trees gain from descriptors on unseen ligands
  // (RMSE 31.7 vs 35.9, Spearman 0.38 vs 0.22) and on seen ones (14.7 vs
  // 16.8); the GP does not on unseen ligands (RMSE 30.8 vs 30.1, Spearman
  // 0.18 vs 0.27), a little on seen ones (14.3 vs 14.6): likely because nine
  // training ligands in a 7-descriptor space leave its length-scales loose.
  // Only what holds is asserted. (With one base
  // held out instead, 8 draws: GP RMSE 18.8 vs 20.3, trees 18.9 vs 20.2;
  // one solvent held out: GP 24.2 vs 22.5, worse, trees 22.0 vs 23.2.)
  it('extra trees predict reactions with ligands absent from training better with descriptors than one-hot', () => {
    type Model = 'gp' | 'trees';
    type Coding = keyof typeof encoders;
    const score: Record<Model, Record<Coding, { unseen: number[]; seen: number[]; rhoUnseen: number[] }>> = {
      gp: { descriptors: { unseen: [], seen: [], rhoUnseen: [] }, 'one-hot': { unseen: [], seen: [], rhoUnseen: [] } },
      trees: { descriptors: { unseen: [], seen: [], rhoUnseen: [] }, 'one-hot': { unseen: [], seen: [], rhoUnseen: [] } },
    };
    const ligands = [...new Set(data.map((d) => d.params.ligand as string))];
    for (let rep = 0; rep < 4; rep++) {
      const rng = new Rng(100 + rep);
      // Three ligands held out entirely; 100 training reactions drawn from the other nine.
      const shuffled = ligands.map((l) => [rng.next(), l] as const);
      const heldOut = new Set(
        shuffled
          .sort((a, b) => a[0] - b[0])
          .slice(0, 3)
          .map(([, l]) => l),
      );
      const seenRows = data.filter((d) => !heldOut.has(d.params.ligand as string)).map((d) => [rng.next(), d] as const);
      seenRows.sort((a, b) => a[0] - b[0]);
      const train = seenRows.slice(0, 100).map(([, d]) => d);
      const seenTest = seenRows.slice(100).map(([, d]) => d);
      const unseenTest = data.filter((d) => heldOut.has(d.params.ligand as string));
      for (const coding of Object.keys(encoders) as Coding[]) {
        const enc = encoders[coding];
        const X = train.map((d) => enc.encode(d.params));
        const y = train.map((d) => d.yield);
        const models: Record<Model, Surrogate> = {
          gp: new GaussianProcess({ seed: rep }),
          trees: new ExtraTrees({ trees: 64, seed: rep }),
        };
        for (const model of Object.keys(models) as Model[]) {
          const m = models[model];
          void m.fit(X, y); // the GP and the trees fit synchronously
          const unseen = m.posterior(unseenTest.map((d) => enc.encode(d.params))).mean;
          const seen = m.posterior(seenTest.map((d) => enc.encode(d.params))).mean;
          score[model][coding].unseen.push(
            rmse(
              unseen,
              unseenTest.map((d) => d.yield),
            ),
          );
          score[model][coding].rhoUnseen.push(
            spearman(
              unseen,
              unseenTest.map((d) => d.yield),
            ),
          );
          score[model][coding].seen.push(
            rmse(
              seen,
              seenTest.map((d) => d.yield),
            ),
          );
        }
      }
    }
    const table = Object.entries(score).flatMap(([model, byCoding]) =>
      Object.entries(byCoding).map(
        ([coding, s]) =>
          `${model} ${coding}: RMSE unseen ligands ${mean(s.unseen).toFixed(1)} (Spearman ${mean(s.rhoUnseen).toFixed(2)}), RMSE seen ligands ${mean(s.seen).toFixed(1)}`,
      ),
    );
    const trees = score.trees;
    expect(mean(trees.descriptors.unseen)).toBeLessThan(mean(trees['one-hot'].unseen) - 2);
    expect(mean(trees.descriptors.rhoUnseen)).toBeGreaterThan(mean(trees['one-hot'].rhoUnseen));
    expect(mean(trees.descriptors.seen)).toBeLessThan(mean(trees['one-hot'].seen));
    // The GP sees the seen ligands no worse with descriptors.
    expect(mean(score.gp.descriptors.seen)).toBeLessThan(mean(score.gp['one-hot'].seen) + 1);
    console.log(`direct arylation, 100 training reactions, 4 draws of 3 held-out ligands (yield %):\n${table.join('\n')}`);
  });
});
