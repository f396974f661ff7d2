/**
 * The purpose of the descriptor encoding, on measured data: the OER plate
 * (every unary to quaternary Ni-Fe-Co-Mn-Ce-La composition at 10% steps,
 * overpotential to minimise). For each element X, a model is trained on the
 * compositions without X and predicts those with X. With plain fractions
 * the model has never seen X's coordinate vary and can only go by the rest
 * of the composition; with sorted weighted descriptors it knows X by its
 * properties. Measured (extra trees, 32 trees, seeds 1-3 alike): Spearman
 * rank correlation on the held-out compositions, descriptors vs fractions,
 * Ni 0.57/0.50, Fe 0.79/0.76, Co 0.72/0.67, Mn 0.63/0.74, Ce 0.80/0.79,
 * La 0.75/0.66; RMSE lower with descriptors for all but Mn. Mn is the
 * exception: the claim is about the average, not every element.
 */
import { type Params, Space, ExtraTrees, Encoder } from '#optimizer';
import { column, numberAt, readDataset, OER_ELEMENTS, OER_FILE } from '#simulators';

const space = Space.parse([{ name: 'cat', type: 'composition', components: [...OER_ELEMENTS], maxComponents: 4, step: 0.1 }]);

function plate(): { params: Params; overpotential: number }[] {
  const t = readDataset(OER_FILE);
  const cols = OER_ELEMENTS.map((e) => column(t, e));
  const y = column(t, 'overpotential');
  return t.rows.map((_, i) => ({
    params: Object.fromEntries(OER_ELEMENTS.map((e, k) => [`cat.${e}`, numberAt(t, i, cols[k])])),
    overpotential: numberAt(t, i, y),
  }));
}

function ranks(v: readonly number[]): number[] {
  const r = new Array<number>(v.length);
  Array.from(v.keys())
    .sort((a, b) => v[a] - v[b])
    .forEach((i, k) => (r[i] = k));
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (a.length - 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (ra[i] - m) * (rb[i] - m);
    saa += (ra[i] - m) ** 2;
    sbb += (rb[i] - m) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('composition descriptors on the OER plate', () => {
  it('every measured composition is a valid point of the composition space', () => {
    const data = plate();
    expect(data).toHaveLength(2121);
    for (const d of data) expect(space.check(d.params)).toEqual([]);
  });

  it('predict compositions with an element absent from training better than plain fractions', () => {
    const data = plate();
    const encoders = { descriptors: new Encoder(space), fractions: new Encoder(space, { composition: 'fractions' }) };
    const score = { descriptors: { rho: [] as number[], rmse: [] as number[] }, fractions: { rho: [] as number[], rmse: [] as number[] } };
    for (const element of OER_ELEMENTS) {
      const has = (p: Params) => (p[`cat.${element}`] as number) > 0;
      const train = data.filter((d) => !has(d.params));
      const test = data.filter((d) => has(d.params));
      const truth = test.map((d) => d.overpotential);
      for (const kind of ['descriptors', 'fractions'] as const) {
        const enc = encoders[kind];
        const model = new ExtraTrees({ seed: 1 });
        model.fit(
          train.map((d) => enc.encode(d.params)),
          train.map((d) => d.overpotential),
        );
        const mean = Array.from(model.posterior(test.map((d) => enc.encode(d.params))).mean);
        score[kind].rho.push(spearman(mean, truth));
        score[kind].rmse.push(Math.sqrt(mean.reduce((s, v, i) => s + (v - truth[i]) ** 2, 0) / mean.length));
      }
    }
    const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(avg(score.descriptors.rho)).toBeGreaterThan(avg(score.fractions.rho) + 0.01);
    expect(avg(score.descriptors.rmse)).toBeLessThan(0.95 * avg(score.fractions.rmse));
    // Better rank correlation for most held-out elements, not only on average.
    const wins = score.descriptors.rho.filter((r, k) => r > score.fractions.rho[k]).length;
    expect(wins).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
