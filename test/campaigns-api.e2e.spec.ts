import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { braninCampaign, startTestService, type ErrorBody, type TestService } from './support/service.js';
import { until } from './support/poll.js';

interface Campaign {
  id: string;
  status: string;
  batches: { id: string; index: number; status: string; decidedBy: string | null }[];
  experiments: { id: string; status: string; batchId: string; params: Record<string, number> }[];
  counts: Record<string, number>;
}

describe('campaigns REST API', () => {
  let svc: TestService;
  const count = async (table: string) => Number((await svc.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('refuses an impossible definition with a 400 that names every problem, and stores nothing', async () => {
    const res = await svc.api<ErrorBody>('POST', '/api/campaigns', {
      name: 'impossible',
      parameters: [
        { name: 'x', type: 'continuous', low: 5, high: 1 },
        { name: 'x', type: 'integer', low: 0, high: 3 },
        { name: 'temperature', type: 'spline' },
        { name: 'solvent', type: 'categorical', choices: ['DMF', 'DMF'] },
      ],
      objective: { name: 'y', direction: 'up' },
      budget: 10,
      batchSize: 0,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_definition');
    const problems = res.body.error.problems.join('\n');
    expect(problems).toMatch(/"x": empty range/);
    expect(problems).toMatch(/duplicate parameter name "x"/);
    expect(problems).toMatch(/parameters\[2\]/); // the unknown type
    expect(problems).toMatch(/duplicate choice "DMF"/);
    expect(problems).toMatch(/objective\.direction/);
    expect(problems).toMatch(/batchSize/);
    expect(await count('campaigns')).toBe(0);
  });

  it('refuses a batch larger than the budget and a log scale through zero', async () => {
    const res = await svc.api<ErrorBody>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        budget: 4,
        batchSize: 5,
        parameters: [{ name: 'c', type: 'continuous', low: 0, high: 1, scale: 'log' }],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/batchSize \(5\) exceeds budget \(4\)/),
        expect.stringMatching(/log scale needs low > 0/),
      ]),
    );
    expect(await count('campaigns')).toBe(0);
  });

  it('answers malformed JSON and non-object bodies with a 400', async () => {
    const res = await svc.api<ErrorBody>('POST', '/api/campaigns', '{"name": "oops",');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    const arr = await svc.api<ErrorBody>('POST', '/api/campaigns', [1, 2, 3]);
    expect(arr.status).toBe(400);
    expect(await count('campaigns')).toBe(0);
  });

  it('answers an unknown or malformed campaign id with a 404', async () => {
    expect((await svc.api('GET', '/api/campaigns/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await svc.api('GET', '/api/campaigns/not-a-uuid')).status).toBe(404);
    expect((await svc.api('POST', '/api/campaigns/not-a-uuid/pause')).status).toBe(404);
  });

  it('creates, lists, pauses, resumes and cancels a campaign, refusing impossible transitions', async () => {
    // No device is online for this kind: proposals wait in the queue.
    const created = await svc.api<Campaign>('POST', '/api/campaigns', braninCampaign({ deviceKind: 'nobody-has-this' }));
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.status).toBe('running');
    const list = await svc.api<{ id: string }[]>('GET', '/api/campaigns');
    expect(list.body.map((c) => c.id)).toContain(id);

    const withBatch = await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        return c.batches.length > 0 ? c : undefined;
      },
      { what: 'the first batch' },
    );
    expect(withBatch.batches[0]).toMatchObject({ index: 0, status: 'approved', decidedBy: 'policy:auto' });
    expect(withBatch.experiments).toHaveLength(5);
    expect(withBatch.experiments.every((e) => e.status === 'queued')).toBe(true);

    expect((await svc.api<Campaign>('POST', `/api/campaigns/${id}/pause`)).body.status).toBe('paused');
    const again = await svc.api<ErrorBody>('POST', `/api/campaigns/${id}/pause`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is paused/);
    expect((await svc.api<Campaign>('POST', `/api/campaigns/${id}/resume`)).body.status).toBe('running');
    const cancelled = await svc.api<Campaign>('POST', `/api/campaigns/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.experiments.every((e) => e.status === 'cancelled')).toBe(true);
    expect((await svc.api('POST', `/api/campaigns/${id}/resume`)).status).toBe(409);

    const audit = await svc.api<{ action: string }[]>('GET', `/api/campaigns/${id}/audit`);
    expect(audit.body.map((a) => a.action)).toEqual([
      'campaign.created',
      'batch.proposed',
      'campaign.paused',
      'campaign.resumed',
      'campaign.cancelled',
    ]);
  });

  it('waits for an operator under manual approval; a rejected batch never runs and another is proposed', async () => {
    const { body } = await svc.api<Campaign>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this' }),
    );
    const first = await until(async () => (await svc.api<Campaign>('GET', `/api/campaigns/${body.id}`)).body.batches[0], {
      what: 'a proposal',
    });
    expect(first.status).toBe('proposed');

    const rejected = await svc.api<Campaign>(
      'POST',
      `/api/campaigns/${body.id}/batches/${first.id}/reject`,
      { note: 'reagent out of stock' },
      { as: 'operator' }, // ada
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.experiments.filter((e) => e.batchId === first.id).every((e) => e.status === 'rejected')).toBe(true);
    // Deciding twice is refused.
    expect((await svc.api('POST', `/api/campaigns/${body.id}/batches/${first.id}/approve`, {})).status).toBe(409);

    const second = await until(async () => (await svc.api<Campaign>('GET', `/api/campaigns/${body.id}`)).body.batches[1], {
      what: 'a second proposal',
    });
    const campaign = (await svc.api<Campaign>('GET', `/api/campaigns/${body.id}`)).body;
    const firstPoints = new Set(campaign.experiments.filter((e) => e.batchId === first.id).map((e) => JSON.stringify(e.params)));
    expect(campaign.experiments.filter((e) => e.batchId === second.id).some((e) => firstPoints.has(JSON.stringify(e.params)))).toBe(false);

    const approved = await svc.api<Campaign>('POST', `/api/campaigns/${body.id}/batches/${second.id}/approve`, {}, { as: 'operator' });
    expect(approved.body.experiments.filter((e) => e.batchId === second.id).every((e) => e.status === 'queued')).toBe(true);
    const bad = await svc.api<ErrorBody>('POST', `/api/campaigns/${body.id}/batches/${second.id}/approve`, { by: 42 });
    expect(bad.status).toBe(400);

    const audit = await svc.api<{ action: string; actor: string }[]>('GET', `/api/campaigns/${body.id}/audit`);
    expect(audit.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'batch.rejected', actor: 'operator:ada' }),
        expect.objectContaining({ action: 'batch.approved', actor: 'operator:ada' }),
      ]),
    );
  });

  it('reads a campaign as of one moment: a proposed batch never appears without its experiments', async () => {
    // Reads race the proposer: each campaign is read as fast as the API answers
    // from its creation until its first batch is there, and every read must hold
    // each batch's experiments and counts that agree with them.
    const reads: Campaign[] = [];
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 6 }, async (_, k) => {
          const created = await svc.api<Campaign>(
            'POST',
            '/api/campaigns',
            braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this', budget: 8, batchSize: 4, seed: 20 + 6 * round + k }),
          );
          expect(created.status).toBe(201);
          await until(
            async () => {
              const c = (await svc.api<Campaign>('GET', `/api/campaigns/${created.body.id}`)).body;
              reads.push(c);
              return c.batches.length > 0;
            },
            { intervalMs: 0, timeoutMs: 20_000, what: 'a proposed batch' },
          );
        }),
      );
    }
    for (const c of reads) {
      for (const b of c.batches)
        expect({ batch: b.index, experiments: c.experiments.filter((e) => e.batchId === b.id).length }).toEqual({
          batch: b.index,
          experiments: 4,
        });
      expect(c.counts.proposed ?? 0).toBe(c.experiments.filter((e) => e.status === 'proposed').length);
    }
  });

  it('lists each campaign with the counts and best result of its own direction, as a read of it gives', async () => {
    const ids: Record<string, string> = {};
    for (const direction of ['minimize', 'maximize']) {
      const created = await svc.api<Campaign>(
        'POST',
        '/api/campaigns',
        braninCampaign({ name: `list ${direction}`, objective: { name: 'y', direction }, deviceKind: 'nobody-has-this' }),
      );
      ids[direction] = created.body.id;
      await until(async () => (await svc.api<Campaign>('GET', `/api/campaigns/${created.body.id}`)).body.experiments.length === 5, {
        what: `the first batch of the ${direction} campaign`,
      });
      // Three experiments finish (as if a rig had run them); -2 twice, so the earlier one must win.
      await svc.dataSource.query(
        `UPDATE experiments SET status = 'completed', objective = v.y, finished_at = now()
         FROM (VALUES (0, 3.5), (1, -2), (2, -2)) AS v(i, y) WHERE campaign_id = $1 AND index = v.i`,
        [created.body.id],
      );
    }
    interface Summary {
      id: string;
      counts: Record<string, number>;
      best: { index: number; value: number } | null;
    }
    const list = (await svc.api<Summary[]>('GET', '/api/campaigns')).body;
    for (const [direction, id] of Object.entries(ids)) {
      const entry = list.find((c) => c.id === id)!;
      const read = (await svc.api<Summary>('GET', `/api/campaigns/${id}`)).body;
      expect(entry.counts).toEqual({ completed: 3, queued: 2 });
      expect(entry.best).toMatchObject(direction === 'minimize' ? { index: 1, value: -2 } : { index: 0, value: 3.5 });
      expect({ counts: read.counts, best: read.best }).toEqual({ counts: entry.counts, best: entry.best });
    }
    // A campaign with no experiment yet is listed with empty counts and no best.
    const bare = await svc.api<Campaign>('POST', '/api/campaigns', braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this' }));
    const entry = (await svc.api<Summary[]>('GET', '/api/campaigns')).body.find((c) => c.id === bare.body.id)!;
    expect(entry.best).toBeNull();
  });

  it('reads a definition stored before versions as the first version, and names what is wrong with one that no longer reads', async () => {
    interface Detail {
      definition: { approval: string; strategy: { kind: string } };
    }
    const created = await svc.api<Campaign>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this' }),
    );
    const id = created.body.id;
    const [{ definition: stored }] = await svc.dataSource.query(`SELECT definition FROM campaigns WHERE id = $1`, [id]);
    expect(stored).toMatchObject({ schemaVersion: 1 });
    // As written before versions and approval policies: neither key.
    await svc.dataSource.query(`UPDATE campaigns SET definition = definition - 'schemaVersion' - 'approval' WHERE id = $1`, [id]);
    const old = await svc.api<Detail>('GET', `/api/campaigns/${id}`);
    expect(old.status).toBe(200);
    expect(old.body.definition).toMatchObject({ approval: 'auto', strategy: { kind: 'default' } });
    expect(old.body.definition).not.toHaveProperty('schemaVersion');

    await svc.dataSource.query(`UPDATE campaigns SET definition = jsonb_set(definition, '{parameters}', '"gone"') WHERE id = $1`, [id]);
    const unreadable = await svc.api<ErrorBody>('GET', `/api/campaigns/${id}`);
    expect(unreadable.status).toBe(409);
    expect(unreadable.body.error.code).toBe('invalid_state');
    expect(unreadable.body.error.message).toContain(`the stored definition of campaign ${id} cannot be read`);
    expect(unreadable.body.error.problems).toEqual([expect.stringMatching(/^parameters: /)]);
    // Put back, so that the campaign list of the other tests reads.
    await svc.dataSource.query(`UPDATE campaigns SET definition = $2 WHERE id = $1`, [id, JSON.stringify(stored)]);
    expect((await svc.api('GET', `/api/campaigns/${id}`)).status).toBe(200);
  });

  it('serves an OpenAPI document that describes the campaign endpoints', async () => {
    const res = await svc.api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/campaigns', '/api/campaigns/{id}', '/api/campaigns/{id}/batches/{batchId}/approve']),
    );
  });
});
