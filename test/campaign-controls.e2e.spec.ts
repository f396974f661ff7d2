import { describe, expect, it } from '@jest/globals';
import { serviceWithBraninRig } from './support/branin-rig.js';
import { until } from './support/poll.js';
import { braninCampaign, type ErrorBody } from './support/service.js';

interface BatchRow {
  index: number;
  status: string;
  strategy: { name: string; definitionVersion?: number; settings: { acquisitionChoice?: unknown } };
}
interface Detail {
  status: string;
  stopReason: string | null;
  definitionVersion: number;
  definition: { budget: number; batchSize: number; strategy: Record<string, unknown>; objective: { target?: number } };
  batches: { id: string; index: number; status: string }[];
  experiments: { batchId: string; status: string }[];
}

describe('campaign controls: the acquisition, changes mid-campaign', () => {
  const env = serviceWithBraninRig('controls-rig', { noise: 0.01, latencyMs: 5, jitterMs: 5, seed: 5 });
  const { kind } = env;
  const batches = (id: string): Promise<BatchRow[]> =>
    env.svc.dataSource.query(`SELECT index, status, strategy FROM batches WHERE campaign_id = $1 ORDER BY index`, [id]);
  const detail = async (id: string) => (await env.svc.api<Detail>('GET', `/api/campaigns/${id}`)).body;

  it('proposes with the acquisition the definition names, and records it with each batch', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 10,
        batchSize: 5,
        deviceKind: kind,
        seed: 6,
        strategy: { kind: 'bayesian', acquisition: { kind: 'UCB', kappa: 3 } },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(async () => (await detail(id)).status === 'completed', { timeoutMs: 60_000, what: 'the UCB campaign to complete' });
    const rows = await batches(id);
    // the Sobol start, then the GP with UCB (kappa 3)
    expect(rows.map((b) => b.strategy.name)).toEqual(['design/sobol', 'bayesian/gp-ucb']);
    expect(rows[1].strategy.settings.acquisitionChoice).toEqual({ kind: 'UCB', kappa: 3 });
    expect(rows.map((b) => b.strategy.definitionVersion)).toEqual([1, 1]);
  });

  it('refuses an acquisition a kind does not support, naming every problem', async () => {
    const res = await env.svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({ strategy: { kind: 'trees', acquisition: { kind: 'EI', beta: 2 } } }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual(["strategy.acquisition: beta and kappa are UCB's weights, not EI's"]);
    const thompson = await env.svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({ strategy: { kind: 'trees', acquisition: 'thompson' } }),
    );
    expect(thompson.status).toBe(400);
    expect(thompson.body.error.problems).toEqual([
      'strategy.acquisition "thompson" needs a joint posterior, which only the GP of kind "bayesian" has; kind "trees" has per-point uncertainty only',
    ]);
    const design = await env.svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({ strategy: { kind: 'sobol', acquisition: 'EI' } }),
    );
    expect(design.status).toBe(400);
    expect(design.body.error.problems).toEqual([
      'strategy.acquisition applies to the model-based kinds (default, bayesian, trees, neural, doptimal) only, not to the design "sobol"',
    ]);
  });

  it('changes budget, batch size and acquisition mid-campaign: refused below what is committed, audited, versioned, in the provenance', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 10, batchSize: 5, approval: 'manual', deviceKind: kind, seed: 7, strategy: { kind: 'bayesian' } }),
    );
    const id = created.body.id;
    const first = await until(async () => (await detail(id)).batches[0], { what: 'the first proposal' });

    // a viewer may not; a budget below the 5 proposals is refused with the numbers; so is a field that cannot change
    expect((await env.svc.api('PATCH', `/api/campaigns/${id}`, { budget: 20, reason: 'more' }, { as: 'viewer' })).status).toBe(403);
    const cut = await env.svc.api<ErrorBody>('PATCH', `/api/campaigns/${id}`, { budget: 4, reason: 'money' }, { as: 'operator' });
    expect(cut.status).toBe(400);
    expect(cut.body.error.problems).toEqual([
      'budget 4 is below what the campaign has already spent or committed: 5 experiments (0 finished, 5 proposed, queued or running)',
      'batchSize (5) exceeds budget (4)',
    ]);
    const fixed = await env.svc.api<ErrorBody>(
      'PATCH',
      `/api/campaigns/${id}`,
      { name: 'renamed', batchSize: 0, strategy: { acquisition: 'qEI' } },
      { as: 'operator' },
    );
    expect(fixed.status).toBe(400);
    expect(fixed.body.error.problems).toEqual(
      expect.arrayContaining([
        'name: cannot change mid-campaign (only budget, batchSize, strategy, target can, with a reason)',
        expect.stringMatching(/^reason: /),
        expect.stringMatching(/^batchSize: /),
      ]),
    );
    const invalidAcquisition = await env.svc.api<ErrorBody>(
      'PATCH',
      `/api/campaigns/${id}`,
      { strategy: { kind: 'trees', acquisition: 'thompson' }, reason: 'try' },
      { as: 'operator' },
    );
    expect(invalidAcquisition.status).toBe(400);
    expect(invalidAcquisition.body.error.problems[0]).toMatch(/"thompson" needs a joint posterior/);
    expect((await detail(id)).definitionVersion).toBe(1);

    const changed = await env.svc.api<{ version: number; changedBy: string; changes: Record<string, { from: unknown; to: unknown }> }>(
      'PATCH',
      `/api/campaigns/${id}`,
      { budget: 14, batchSize: 3, strategy: { acquisition: 'exploration' }, reason: 'map the space before the review' },
      { as: 'operator' },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.version).toBe(2);
    expect(changed.body.changedBy).toBe('operator:ada');
    expect(changed.body.changes).toEqual({
      budget: { from: 10, to: 14 },
      batchSize: { from: 5, to: 3 },
      strategy: { from: { kind: 'bayesian' }, to: { kind: 'bayesian', acquisition: 'exploration' } },
    });
    const audit = await env.svc.api<{ action: string; actor: string; details: Record<string, unknown> }[]>(
      'GET',
      `/api/campaigns/${id}/audit`,
    );
    const entry = audit.body.find((a) => a.action === 'campaign.definition_changed');
    expect(entry?.actor).toBe('operator:ada');
    expect(entry?.details).toMatchObject({ version: 2, reason: 'map the space before the review' });

    // the next batches are proposed under version 2: batches of 3, with exploration, until the new budget of 14
    await env.svc.api('POST', `/api/campaigns/${id}/batches/${first.id}/approve`, { note: 'go' }, { as: 'operator' });
    await until(async () => (await detail(id)).batches.length === 2, { timeoutMs: 60_000, what: 'the second proposal' });
    await env.svc.api('PUT', `/api/campaigns/${id}/approval`, { policy: 'auto' }, { as: 'operator' });
    const second = (await detail(id)).batches[1];
    await env.svc.api('POST', `/api/campaigns/${id}/batches/${second.id}/approve`, {}, { as: 'operator' });
    const done = await until(
      async () => {
        const d = await detail(id);
        return d.status === 'completed' ? d : undefined;
      },
      { timeoutMs: 90_000, what: 'the changed campaign to complete' },
    );
    expect(done.stopReason).toBe('budget of 14 experiments spent');
    expect(done.experiments).toHaveLength(14);
    const rows = await batches(id);
    expect(rows.map((b) => b.strategy.definitionVersion)).toEqual([1, 2, 2, 2]);
    expect(rows.slice(1).map((b) => b.strategy.name)).toEqual([
      'bayesian/gp-exploration',
      'bayesian/gp-exploration',
      'bayesian/gp-exploration',
    ]);
    const sizes = done.batches.map((b) => done.experiments.filter((e) => e.batchId === b.id).length);
    expect(sizes).toEqual([5, 3, 3, 3]);

    const history = await env.svc.api<
      { version: number; changedBy: string | null; reason: string | null; definition: { budget: number } }[]
    >('GET', `/api/campaigns/${id}/definitions`, undefined, { as: 'viewer' });
    expect(history.body.map((h) => [h.version, h.changedBy, h.reason, h.definition.budget])).toEqual([
      [1, null, null, 10],
      [2, 'operator:ada', 'map the space before the review', 14],
    ]);
    // a campaign that has ended no longer changes
    const late = await env.svc.api<ErrorBody>('PATCH', `/api/campaigns/${id}`, { budget: 20, reason: 'more' }, { as: 'operator' });
    expect(late.status).toBe(409);
  });

  it('stops at a target set mid-campaign', async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 40, batchSize: 5, approval: 'manual', deviceKind: kind, seed: 8 }),
    );
    const id = created.body.id;
    const first = await until(async () => (await detail(id)).batches[0], { what: 'the first proposal' });
    // any value beats a target of 1000 (minimising): the campaign stops once the first result is in
    const set = await env.svc.api('PATCH', `/api/campaigns/${id}`, { target: 1000, reason: 'good enough' }, { as: 'admin' });
    expect(set.status).toBe(200);
    expect((await detail(id)).definition.objective.target).toBe(1000);
    await env.svc.api('POST', `/api/campaigns/${id}/batches/${first.id}/approve`, {}, { as: 'operator' });
    const done = await until(
      async () => {
        const d = await detail(id);
        return d.status === 'completed' ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'the campaign to stop at its new target' },
    );
    expect(done.stopReason).toMatch(/^target reached: y = /);
  });

  it("answers questions to the campaign's model: predictions, its optimum, slices; points outside the parameters refused", async () => {
    const created = await env.svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ budget: 10, batchSize: 5, deviceKind: kind, seed: 9, strategy: { kind: 'bayesian' } }),
    );
    const id = created.body.id;
    type Prediction = { params: Record<string, number>; mean: number; sd: number; acquisition: number | null };
    type Facts = { results: number; best: { params: Record<string, number>; value: number }; acquisition: { kind: string } };
    // no results yet: no model
    const early = await env.svc.api<ErrorBody>('GET', `/api/campaigns/${id}/model/optimum`, undefined, { as: 'viewer' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/has 0 results with a value: its model needs at least 3/);
    await until(async () => (await detail(id)).status === 'completed', { timeoutMs: 60_000, what: 'the campaign to complete' });

    const bad = await env.svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/predict`,
      {
        points: [
          { x1: 20, x2: 3 },
          { x1: 1, x3: 2 },
        ],
      },
      { as: 'viewer' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toEqual([
      'points[0]: "x1" = 20 is outside [-5, 10]',
      'points[1]: unknown parameter "x3"',
      'points[1]: missing parameter "x2"',
    ]);

    const optimum = await env.svc.api<{ model: Facts; optimum: Prediction }>('GET', `/api/campaigns/${id}/model/optimum`, undefined, {
      as: 'viewer',
    });
    expect(optimum.status).toBe(200);
    const facts = optimum.body.model;
    expect(facts.results).toBe(10);
    expect(facts.acquisition).toEqual({ kind: 'logEI' });
    const at = await env.svc.api<{ model: Facts; predictions: Prediction[] }>(
      'POST',
      `/api/campaigns/${id}/predict`,
      { points: [facts.best.params, optimum.body.optimum.params] },
      { as: 'viewer' },
    );
    expect(at.status).toBe(200);
    const [atBest, atOptimum] = at.body.predictions;
    // the model knows its best result (noise sd 0.01), and its optimum predicts no worse than there (minimising)
    expect(Math.abs(atBest.mean - facts.best.value)).toBeLessThan(Math.max(3 * atBest.sd, 0.05 * Math.abs(facts.best.value) + 0.5));
    expect(atOptimum.mean).toBeLessThanOrEqual(atBest.mean + 1e-9);
    expect(optimum.body.optimum.mean).toBeCloseTo(atOptimum.mean, 9);
    expect(Number.isFinite(atBest.acquisition)).toBe(true);
    for (const v of Object.values(optimum.body.optimum.params)) expect(Number.isFinite(v)).toBe(true);

    const slice = await env.svc.api<{
      slice: { parameter: string; through: Record<string, number>; points: { value: number; mean: number; sd: number }[] };
    }>('GET', `/api/campaigns/${id}/model/slice?parameter=x1`, undefined, { as: 'viewer' });
    expect(slice.status).toBe(200);
    expect(slice.body.slice.through).toEqual(facts.best.params);
    const xs = slice.body.slice.points.map((p) => p.value);
    expect(xs[0]).toBe(-5);
    expect(xs[xs.length - 1]).toBe(10);
    for (const p of slice.body.slice.points) expect(p.sd).toBeGreaterThanOrEqual(0);
    const unknown = await env.svc.api<ErrorBody>('GET', `/api/campaigns/${id}/model/slice?parameter=x9`, undefined, { as: 'viewer' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.problems).toEqual(['parameter: unknown parameter "x9" (one of x1, x2)']);
  });
});
