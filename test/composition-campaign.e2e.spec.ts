import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Space } from '#optimizer';
import { firstBatch, startTestService, type ErrorBody, type TestService } from './support/service.js';

const catalyst = { name: 'cat', type: 'composition', components: ['Ni', 'Fe', 'Co', 'Mn', 'Ce', 'La'], maxComponents: 4, step: 0.1 };

function compositionCampaign(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test: OER catalyst',
    parameters: [catalyst, { name: 'anneal', type: 'continuous', low: 300, high: 600, unit: 'C' }],
    objective: { name: 'overpotential', direction: 'minimize' },
    budget: 12,
    batchSize: 4,
    approval: 'manual',
    deviceKind: 'nobody-has-this',
    seed: 5,
    ...overrides,
  };
}

describe('a campaign over a composition parameter', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('refuses an impossible composition with a 400 that names every problem', async () => {
    const res = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      compositionCampaign({
        parameters: [
          { ...catalyst, components: ['Ni', 'Fe', 'Xx'], maxComponents: 5, step: 0.3 },
          { name: 'cat.Ni', type: 'continuous', low: 0, high: 1 },
        ],
      }),
    );
    expect(res.status).toBe(400);
    const problems = res.body.error.problems.join('\n');
    expect(problems).toMatch(/maxComponents must be between 1 and the number of components \(3\), got 5/);
    expect(problems).toMatch(/step 0.3 does not divide the total 1/);
    expect(problems).toMatch(/"Xx" is not an element of the built-in table/);
    expect(problems).toMatch(/key "cat.Ni" of parameter "cat.Ni" collides with composition "cat"/);
  });

  it('proposes valid, distinct compositions, and refuses an edit that breaks the sum', async () => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', compositionCampaign());
    expect(created.status).toBe(201);
    const id = created.body.id;
    const batch = await firstBatch(svc, id);
    const proposals = batch.experiments;
    expect(proposals).toHaveLength(4);
    const space = Space.parse(compositionCampaign().parameters);
    for (const e of proposals) expect(space.check(e.params)).toEqual([]);
    expect(new Set(proposals.map((e) => space.key(e.params))).size).toBe(4);

    const [first] = proposals;
    const bad = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/batches/${batch.id}/edit-and-approve`,
      { edits: [{ experimentId: first.id, params: { 'cat.Ni': (first.params['cat.Ni'] as number) + 0.1 } }], reason: 'more nickel' },
      { as: 'operator' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems.join('\n')).toMatch(
      new RegExp(`proposal ${first.index}: composition "cat": the components sum to 1.1, not 1`),
    );
  });
});
