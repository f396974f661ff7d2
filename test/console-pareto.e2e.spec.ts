import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { startSimRig, type SimRig } from '#simulators';
import { launchChromium, screenshotPath } from './support/browser.js';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { startTestService, TEST_TOKENS, type TestService } from './support/service.js';

interface Detail {
  batches: { id: string; status: string; strategy: { name: string } }[];
  experiments: {
    id: string;
    index: number;
    batchId: string;
    status: string;
    failureScope: string | null;
    prediction: { outcomes?: Record<string, { mean: number; sd: number }>; limits?: { probability: number }[] } | null;
  }[];
  pareto: {
    front: { experimentId: string }[];
    hypervolume: { hypervolume: number }[];
    imported: { front: { index: number }[] };
  } | null;
}

/**
 * The console's Pareto cards in a real headless Chromium: a campaign of two
 * objectives and an impurity limit on a simulated flow reactor (some runs fail
 * on purpose), its first batch run, the second (the model's) waiting for
 * approval. The page plots the front, the dominated, limit-breaking and failed
 * results and the pending batch's predictions on two axes the operator
 * chooses, the hypervolume over time, and each proposal's predicted outcomes
 * and probability of meeting the limit.
 */
describe('operator console: a campaign of several objectives', () => {
  const kind = `console-pareto-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let rig: SimRig;
  let browser: Browser;
  let campaignId: string;
  const detail = async () => (await svc.api<Detail>('GET', `/api/campaigns/${campaignId}`)).body;

  beforeAll(async () => {
    svc = await startTestService();
    rig = await startSimRig({
      url: testMqttUrl(),
      deviceId: `${kind}-1`,
      kind,
      functionName: 'flowreactor',
      noise: 0.05,
      latencyMs: 10,
      jitterMs: 10,
      failureRate: 0.3,
      deviceFailureRate: 0,
      capacity: 8,
      objective: 'y',
      seed: 5,
    });
    browser = await launchChromium();
    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', {
      name: 'Flow reactor: yield against cost',
      parameters: [
        { name: 'temperature', type: 'continuous', low: 40, high: 140 },
        { name: 'residence_time', type: 'continuous', low: 1, high: 30 },
      ],
      objectives: [
        { name: 'yield', direction: 'maximize', low: 0, high: 100 },
        { name: 'cost', direction: 'minimize', low: 0 },
      ],
      outcomeConstraints: [{ name: 'impurity', op: '<=', value: 5 }],
      budget: 16,
      batchSize: 8,
      approval: 'manual',
      deviceKind: kind,
      seed: 11,
    });
    expect(created.status).toBe(201);
    campaignId = created.body.id;
    // The first batch (the design) is approved and run; the model proposes the second, which waits.
    const first = await until(async () => (await detail()).batches.find((b) => b.status === 'proposed'), { what: 'the first batch' });
    expect((await svc.api('POST', `/api/campaigns/${campaignId}/batches/${first.id}/approve`, {}, { as: 'operator' })).status).toBe(200);
    await until(
      async () => {
        const d = await detail();
        return d.batches.length === 2 && d.batches[1].status === 'proposed' ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'the second batch proposed by the model' },
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
    await svc?.stop();
  });

  it('plots the front, the dominated and failed results and the pending predictions, the hypervolume, and each proposal', async () => {
    const d = await detail();
    expect(d.batches[1].strategy.name).toBe('bayesian/multi-objective');
    const completed = d.experiments.filter((e) => e.status === 'completed').length;
    const failed = d.experiments.filter((e) => e.status === 'failed' && e.failureScope === 'experiment').length;
    expect(completed + failed).toBe(8);
    const pending = d.experiments.filter((e) => e.batchId === d.batches[1].id);
    // Earlier results of every outcome, imported while the batch waits: their front is drawn apart from the campaign's.
    const earlier = [
      { params: { temperature: 90, residence_time: 20 }, values: { yield: 70, cost: 12, impurity: 2 } },
      { params: { temperature: 60, residence_time: 5 }, values: { yield: 30, cost: 5, impurity: 1 } },
      { params: { temperature: 100, residence_time: 25 }, values: { yield: 60, cost: 14, impurity: 3 } },
      { params: { temperature: 130, residence_time: 28 }, values: { yield: 95, cost: 20, impurity: 9 } },
    ];
    const imported = await svc.api(
      'POST',
      `/api/campaigns/${campaignId}/imports`,
      { source: 'Lee 2021', results: earlier },
      { as: 'operator' },
    );
    expect(imported.status).toBe(201);
    // (70, 12) and (30, 5) are on it; (60, 14) is dominated, (95, 20) breaks the limit.
    expect((await detail()).pareto!.imported.front.map((f) => f.index)).toEqual([0, 1]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${svc.httpUrl}/console/#campaign=${campaignId}`);
    await page.fill('#token', TEST_TOKENS.operator.token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('[data-testid=pareto]:not([hidden])');
    const plot = page.locator('#chart-pareto svg.plot');
    await until(async () => (await plot.getAttribute('data-pending')) === String(pending.length), {
      what: 'the pending batch on the Pareto plot',
    });
    const attr = async (name: string) => Number(await plot.getAttribute(`data-${name}`));
    expect(await plot.getAttribute('data-x')).toBe('yield');
    expect(await plot.getAttribute('data-y')).toBe('cost');
    expect(await attr('front')).toBe(d.pareto!.front.length);
    expect((await attr('front')) + (await attr('dominated')) + (await attr('infeasible'))).toBe(completed);
    expect(await page.textContent('#chart-pareto .legend')).toContain(`failed (${failed}`);
    // The pending proposals are drawn at their predicted means with ± sd bars.
    expect(await page.locator('#chart-pareto .pending-prediction').count()).toBe(pending.length);
    expect(await attr('imported')).toBe(2);
    expect(await page.locator('#chart-pareto .mark-imported').count()).toBe(2);
    expect(await page.textContent('#chart-pareto .legend')).toContain('front of the imported results (2)');
    expect(await page.textContent('[data-testid=imported]')).toContain('4 earlier results, 2 on their Pareto front');

    // The hypervolume after each result.
    const hv = page.locator('#chart-hypervolume svg.plot');
    expect(Number(await hv.getAttribute('data-count'))).toBe(completed);
    expect(Number(await hv.getAttribute('data-last'))).toBeCloseTo(d.pareto!.hypervolume.at(-1)!.hypervolume, 6);

    // Each proposal: every outcome's predicted mean ± sd and the probability of meeting the limit.
    const rows = page.locator('[data-testid=pareto-proposal]');
    expect(await rows.count()).toBe(pending.length);
    const firstRow = rows.first();
    const firstId = await firstRow.getAttribute('data-id');
    const e = pending.find((x) => x.id === firstId)!;
    const mean = e.prediction!.outcomes!.impurity.mean;
    expect(await firstRow.locator('[data-outcome=impurity]').textContent()).toMatch(
      new RegExp(`^${String(Number(mean.toPrecision(3))).replace('.', '\\.')} ± `),
    );
    expect(await firstRow.locator('[data-limit=impurity]').textContent()).toBe(
      `${Math.round(e.prediction!.limits![0].probability * 100)} %`,
    );
    await page.screenshot({ path: screenshotPath('desktop-pareto'), fullPage: true });

    // The operator puts the limited outcome on the y axis: the plot is drawn again on it.
    await page.selectOption('[data-testid=pareto-y]', 'impurity');
    await until(async () => (await page.locator('#chart-pareto svg.plot').getAttribute('data-y')) === 'impurity', {
      what: 'the plot redrawn against impurity',
    });
    expect(Number(await page.locator('#chart-pareto svg.plot').getAttribute('data-pending'))).toBe(pending.length);
    await page.locator('#pareto').screenshot({ path: screenshotPath('desktop-pareto-impurity') });
    await page.close();
  }, 90_000);
});
