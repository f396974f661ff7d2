import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Space } from '#optimizer';
import { firstBatch, startTestService, type ErrorBody, type TestService } from './support/service.js';

const parameters = [
  { name: 'temp', type: 'continuous', low: 20, high: 80, unit: 'C' },
  { name: 'time', type: 'continuous', low: 1, high: 10, unit: 'h' },
  { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
];
/** About a quarter of the box: proposals that ignored it would fall outside. */
const constraints = [{ coefficients: { temp: 1, time: 1 }, op: '<=', rhs: 40 }];

function constrainedCampaign(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test: constrained screening',
    parameters,
    constraints,
    objective: { name: 'yield', direction: 'maximize' },
    budget: 12,
    batchSize: 4,
    approval: 'manual',
    deviceKind: 'nobody-has-this',
    seed: 9,
    ...overrides,
  };
}

describe('a campaign with linear constraints', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('refuses bad constraints with a 400 that names every problem', async () => {
    const res = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      constrainedCampaign({
        constraints: [
          { coefficients: { temp: 1, pressure: 1 }, op: '<=', rhs: 40 },
          { coefficients: { solvent: 1 }, op: '<=', rhs: 1 },
          { coefficients: { temp: 1 }, op: '>=', rhs: 100 },
        ],
      }),
    );
    expect(res.status).toBe(400);
    const problems = res.body.error.problems.join('\n');
    expect(problems).toMatch(/constraints\[0\]: unknown parameter "pressure"/);
    expect(problems).toMatch(/constraints\[1\]: parameter "solvent" is categorical/);
    expect(problems).toMatch(/constraints\[2\]: temp >= 100 cannot hold: over the parameters' ranges temp is at most 80/);
  });

  it('proposes only points that satisfy the constraints, and refuses an edit that breaks one', async () => {
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', constrainedCampaign());
    expect(created.status).toBe(201);
    const id = created.body.id;
    const batch = await firstBatch(svc, id);
    const proposals = batch.experiments;
    expect(proposals).toHaveLength(4);
    const space = Space.parse(parameters, constraints);
    for (const e of proposals) expect(space.check(e.params)).toEqual([]);

    const [first] = proposals;
    const bad = await svc.api<ErrorBody>(
      'POST',
      `/api/campaigns/${id}/batches/${batch.id}/edit-and-approve`,
      { edits: [{ experimentId: first.id, params: { temp: 35, time: 9 } }], reason: 'longer and hotter' },
      { as: 'operator' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toEqual([`proposal ${first.index}: constraint 1 (temp + time <= 40): temp + time = 44 > 40`]);
  });
});
