import { describe, expect, it } from '@jest/globals';
import { Space, BayesianStrategy, type Observation } from '#optimizer';
import { policyApproves } from '../apps/orchestrator/src/campaigns/approval-policy.js';
import { planBatchEdit } from '../apps/orchestrator/src/campaigns/batch-edit.js';
import { ConfigError, loadConfig } from '../apps/orchestrator/src/common/config.js';
import { Rng } from '#random';
import type { CampaignDetail, CampaignsService } from '../apps/orchestrator/src/campaigns/campaigns.service.js';
import type { ImportsService } from '../apps/orchestrator/src/campaigns/imports.service.js';
import { InsightsService } from '../apps/orchestrator/src/console/insights.service.js';
import type { ExperimentEntity, ImportedResultEntity } from '#persistence';
import { batchNote } from '../apps/orchestrator/src/console/web/notes.js';
import { parseRows } from '../apps/orchestrator/src/console/web/row-numbers.js';

/** A campaign of two continuous parameters, x1 in [0, highs[0]] and x2 in [0, highs[1]], as the campaigns service reads it. */
function twoParameterCampaign(
  highs: [number, number],
  experiments: ExperimentEntity[],
  strategy?: Record<string, unknown>,
): CampaignDetail {
  return {
    id: 'c',
    seed: 1,
    definition: {
      parameters: highs.map((high, i) => ({ name: `x${i + 1}`, type: 'continuous', low: 0, high, scale: 'linear' })),
      objective: { name: 'y', direction: 'maximize' },
      ...(strategy ? { strategy } : {}),
    },
    experiments,
    imported: { results: 0, failed: 0, best: null },
  } as unknown as CampaignDetail;
}

/** The insights service over one campaign and its imported results. */
function insightsService(detail: CampaignDetail, imported: ImportedResultEntity[] = []): InsightsService {
  return new InsightsService(
    { get: async () => detail } as unknown as CampaignsService,
    { list: async () => imported } as unknown as ImportsService,
  );
}

describe('insights of a campaign (Gaussian process from libs/optimizer)', () => {
  it('cross-validates, ranks the parameter that matters first, projects the space and predicts the pending batch', async () => {
    const rng = new Rng(11);
    const experiment = (index: number, status: ExperimentEntity['status'], x1: number, x2: number): ExperimentEntity =>
      ({
        id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
        index,
        status,
        params: { x1, x2 },
        objective: status === 'completed' ? Math.sin(3 * x1) + x1 : null,
        prediction: null,
      }) as unknown as ExperimentEntity;
    const experiments = Array.from({ length: 24 }, (_, i) => experiment(i, 'completed', 4 * rng.next(), 10 * rng.next()));
    experiments.push(experiment(24, 'proposed', 1, 5), experiment(25, 'proposed', 3, 1), experiment(26, 'failed', 2, 2));
    const detail = twoParameterCampaign([4, 10], experiments);
    const service = insightsService(detail);
    const insights = await service.forCampaign('c');
    expect(insights.model).toMatchObject({ kind: 'gaussian-process', validation: '10-fold', observations: 24 });
    expect(insights.model!.r2).toBeGreaterThan(0.9);
    expect(insights.importance.map((r) => r.parameter)).toEqual(['x1', 'x2']);
    expect(insights.importance[0].importance).toBeGreaterThan(10 * Math.max(insights.importance[1].importance, 0.01));
    expect(insights.progress).toHaveLength(24);
    expect(insights.progress.at(-1)!.best).toBe(Math.max(...insights.progress.map((p) => p.value)));
    expect(insights.projection.points.map((p) => p.state).filter((s) => s !== 'observed')).toEqual(['pending', 'pending', 'failed']);
    expect(insights.pending.map((p) => p.index)).toEqual([24, 25]);
    expect(insights.pending[0].mean).toBeCloseTo(Math.sin(3) + 1, 0);
    // Unchanged experiments: the same answer from the cache.
    expect(await service.forCampaign('c')).toBe(insights);

    // Imported results (a failed one among them) join the model's data, not the progress of the campaign's own experiments.
    const imported = Array.from({ length: 7 }, (_, i) => {
      const x1 = 4 * rng.next();
      const failed = i === 6;
      return { index: i, params: { x1, x2: 10 * rng.next() }, objective: failed ? null : Math.sin(3 * x1) + x1, failed };
    }) as unknown as ImportedResultEntity[];
    const withImports = insightsService({ ...detail, imported: { results: 7, failed: 1, best: null } }, imported);
    const both = await withImports.forCampaign('c');
    expect(both.model).toMatchObject({ observations: 30 });
    expect(both.progress).toHaveLength(24);
    expect(both.crossValidation.filter((p) => p.imported).map((p) => [p.experimentId, p.index])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [null, i]),
    );
    expect(both.crossValidation.filter((p) => !p.imported).map((p) => p.experimentId)).toEqual(
      experiments.filter((e) => e.status === 'completed').map((e) => e.id),
    );
  });
});

describe('insights of a campaign with blocks', () => {
  it('sees the results net of their batches’ offsets where the campaign declares batches as blocks', async () => {
    // Six batches of six on a smooth function, each batch off by its own offset (sd 1, against a function of range about 2).
    const rng = new Rng(21);
    const offsets = Array.from({ length: 6 }, () => rng.normal());
    const experiments = Array.from({ length: 36 }, (_, index) => {
      const x1 = rng.next();
      const x2 = rng.next();
      return {
        id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
        index,
        batchId: `batch-${Math.floor(index / 6)}`,
        deviceId: 'rig',
        status: 'completed',
        params: { x1, x2 },
        objective: Math.sin(6 * x1) + 0.5 * x2 + offsets[Math.floor(index / 6)],
        prediction: null,
      } as unknown as ExperimentEntity;
    });
    const blocked = await insightsService(twoParameterCampaign([1, 1], experiments, { kind: 'default', blocks: 'batch' })).forCampaign('c');
    const plain = await insightsService(twoParameterCampaign([1, 1], experiments)).forCampaign('c');
    expect(blocked.model?.netOfBlocks).toMatchObject({ blocks: 6, estimated: 6 });
    expect(plain.model?.netOfBlocks).toBeUndefined();
    // Net of the offsets the model predicts held-out results well; taken as they were, the offsets look like noise.
    expect(blocked.model!.r2).toBeGreaterThan(0.9);
    expect(plain.model!.r2).toBeLessThan(0.7);
    // The progress chart stays what was measured.
    expect(blocked.progress.map((p) => p.value)).toEqual(experiments.map((e) => e.objective));
  });
});

describe('the pending batch note', () => {
  const mixed = Space.parse([
    { name: 'x', type: 'continuous', low: 0, high: 1 },
    { name: 'solvent', type: 'categorical', choices: ['a', 'b', 'c'] },
  ]);
  const ask = async (observations: Observation[], n: number) => {
    const strategy = new BayesianStrategy({ rawSamples: 256 });
    const batch = await strategy.ask({ space: mixed, direction: 'maximize', observations, pending: [], n, seed: 2 });
    return { batch, note: batchNote(strategy.info) };
  };
  const run = (x: number, solvent: string, value: number): Observation => ({ params: { x, solvent }, value });

  it('says when a batch tries another choice because the best has stalled, and which', async () => {
    // Solvent a's first result stays the best through 8 more of its own.
    const observations = [
      run(0.7, 'a', 2),
      run(0.2, 'b', 0.1),
      run(0.8, 'c', -0.5),
      ...[0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.95, 1].map((x) => run(x, 'a', 2 - 4 * (x - 0.7) ** 2 - 0.05)),
    ];
    const { batch, note } = await ask(observations, 2);
    expect(note).toBe(
      `No significant improvement in the last 6 model-chosen results: 1 of these proposals tries solvent = ${batch[1].params.solvent}, aiming to beat the best result seen there.`,
    );
    expect(batch[1].params.solvent).not.toBe('a');
  });

  it('names the initial design and the model after it; says nothing of a plain model batch', async () => {
    expect((await ask([], 2)).note).toBe("Initial design (design/sobol): bayesian/gp-logei proposes once the design's results are in.");
    const climbing = [0.1, 0.3, 0.5, 0.6, 0.65, 0.7].map((x, i) => run(x, ['a', 'b', 'c'][i % 3], x));
    expect((await ask(climbing, 2)).note).toBeNull();
  });
});

describe('approval policy', () => {
  it('manual never, auto always, auto-unless-flagged unless a proposal is flagged', () => {
    const plain = [{}, {}];
    const flagged = [{}, { extrapolation: 'outside the data' }];
    expect([policyApproves('manual', plain), policyApproves('auto', flagged)]).toEqual([false, true]);
    expect([policyApproves('auto-unless-flagged', plain), policyApproves('auto-unless-flagged', flagged)]).toEqual([true, false]);
  });
});

describe('batch edits', () => {
  const space = new Space([
    { name: 'x', type: 'continuous', low: 0, high: 10, scale: 'linear' },
    { name: 'n', type: 'integer', low: 1, high: 4 },
  ]);
  const a = { id: '00000000-0000-4000-8000-00000000000a', index: 4, params: { x: 1, n: 2 } };
  const b = { id: '00000000-0000-4000-8000-00000000000b', index: 5, params: { x: 2, n: 3 } };

  it('keeps old and new values of what changed', () => {
    const plan = planBatchEdit(space, [a, b], { edits: [{ experimentId: a.id, params: { x: 7.5, n: 2 } }], exclude: [b.id], reason: 'r' });
    expect(plan.edits).toEqual([{ experimentId: a.id, index: 4, params: { x: 7.5, n: 2 }, before: { x: 1 }, after: { x: 7.5 } }]);
    expect(plan.exclude.map((p) => p.index)).toEqual([5]);
  });

  it('names every problem: out of the space, unknown proposal, everything left out', () => {
    expect(() =>
      planBatchEdit(space, [a, b], {
        edits: [
          { experimentId: a.id, params: { x: 11, n: 1.5 } },
          { experimentId: '00000000-0000-4000-8000-0000000000ff', params: { x: 1 } },
        ],
        exclude: [a.id, b.id],
        reason: 'r',
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        problems: expect.arrayContaining([
          'proposal 4: "x" = 11 is outside [0, 10]',
          'proposal 4: "n" must be an integer',
          expect.stringMatching(/not a proposal of this batch/),
          'proposal 4 is both edited and left out',
          'every proposal is left out: reject the batch instead',
        ]),
      }),
    );
  });
});

describe('HAKKEN_TOKENS', () => {
  it('parses token:role:name entries', () => {
    const c = loadConfig({ HAKKEN_TOKENS: 'aaaaaaaaaaaaaaaa1:viewer:vera, bbbbbbbbbbbbbbbb2:admin:root' });
    expect(c.tokens).toEqual([
      { token: 'aaaaaaaaaaaaaaaa1', role: 'viewer', name: 'vera' },
      { token: 'bbbbbbbbbbbbbbbb2', role: 'admin', name: 'root' },
    ]);
    expect(loadConfig({}).tokens).toEqual([]);
  });

  it('refuses short tokens, unknown roles and malformed entries, without echoing a token', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ HAKKEN_TOKENS: 'short:admin:x,cccccccccccccccc3:root:y,just-one-field' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'HAKKEN_TOKENS entry 1: the token must be at least 16 characters long',
      'HAKKEN_TOKENS entry 2: unknown role "root" (known: viewer, operator, admin)',
      'HAKKEN_TOKENS entry 3 must be token:role:name',
    ]);
    expect(error!.message).not.toMatch(/short|cccc/);
  });
});

describe('console: row numbers of a candidate list as typed', () => {
  it('reads numbers and ranges, once each, and names every part that is neither', () => {
    expect(parseRows('3, 7-9 ,8; 12 – 13')).toEqual({ rows: [3, 7, 8, 9, 12, 13], problems: [] });
    expect(parseRows('3, x, 9-7, 2.5')).toEqual({
      rows: [3],
      problems: [
        '"x" is not a row number or a range of them',
        '"9-7": the range runs backwards',
        '"2.5" is not a row number or a range of them',
      ],
    });
    expect(parseRows('  ').problems).toEqual(['give the row numbers to exclude, such as "3, 7-9"']);
  });
});
