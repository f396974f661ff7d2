import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { SimRig } from '#simulators';
import { launchChromium, screenshotPath } from './support/browser.js';
import { startBraninRig } from './support/branin-rig.js';
import { until } from './support/poll.js';
import { braninCampaign, startTestService, TEST_TOKENS, type TestService } from './support/service.js';

interface Campaign {
  id: string;
  batches: { id: string; status: string }[];
  experiments: { id: string; batchId: string; status: string; params: { x1: number; x2: number }; objective: number | null }[];
}

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const branin = (x1: number, x2: number) =>
  (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;

/**
 * The operator console in a real headless Chromium: an operator logs in,
 * edits a proposal of a manual campaign, approves, and watches the results
 * of a simulated rig arrive and the pictures update. Screenshots of the main
 * views at desktop and phone size go to test-output/screenshots/.
 */
describe('operator console in a browser', () => {
  const kind = `console-${randomUUID().slice(0, 8)}`;
  let svc: TestService;
  let rig: SimRig;
  let browser: Browser;
  let campaignId: string;

  const campaign = async () => (await svc.api<Campaign>('GET', `/api/campaigns/${campaignId}`)).body;
  const count = (page: Page, chart: string) => page.locator(`#${chart} svg.plot`).getAttribute('data-count').then(Number);
  const login = async (page: Page, token: string) => {
    await page.goto(`${svc.httpUrl}/console/`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
  };

  beforeAll(async () => {
    svc = await startTestService();
    rig = await startBraninRig({ kind, noise: 0, latencyMs: 30, jitterMs: 30, seed: 4 });
    browser = await launchChromium();
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ name: 'Branin on the console rig', approval: 'manual', deviceKind: kind, budget: 12, batchSize: 4, seed: 21 }),
    );
    expect(created.status).toBe(201);
    campaignId = created.body.id;
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
    await svc?.stop();
  });

  it('an operator edits a value, approves, and sees the results arrive and the pictures update', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${svc.httpUrl}/`);
    await page.waitForSelector('#login-form');
    await page.screenshot({ path: screenshotPath('desktop-login') });

    await login(page, 'this-token-is-not-known-here');
    // The refusal comes back from the server: wait for it to be shown, then check the exact text.
    await page.waitForSelector('#login-error:not(:empty)');
    await expect(page.locator('#login-error').textContent()).resolves.toBe('That token is not accepted.');
    await login(page, TEST_TOKENS.operator.token);
    await page.waitForSelector('[data-testid=whoami]:has-text("operator:ada")');
    await page.waitForSelector('.live.connected');
    const cards = page.locator('[data-testid=proposal]');
    await until(async () => (await cards.count()) === 4, { what: 'the four proposals on the page' });
    // The first batch is the strategy's initial design, and the page says so.
    await expect(page.locator('[data-testid=batch-note]').textContent()).resolves.toMatch(
      /^Initial design \(design\/\w+\): .+ proposes once the design's results are in\.$/,
    );
    await page.screenshot({ path: screenshotPath('desktop-pending-batch'), fullPage: true });

    // Edit one value of the first proposal, say why, approve.
    const first = cards.first();
    const editedId = await first.getAttribute('data-id');
    await first.locator('input[data-param=x1]').fill('2.5');
    await until(async () => (await first.getAttribute('class'))?.includes('edited'), { what: 'the proposal marked as edited' });
    await page.fill('#reason', "keep x1 inside the rig's safe range");
    await page.waitForSelector('[data-testid=approve]:has-text("Approve with 1 change")');
    await page.click('[data-testid=approve]');
    await until(
      async () => {
        const shown = await page.textContent('#flash');
        if (!shown?.includes('approved with 1 edit')) throw new Error(`the flash reads ${JSON.stringify(shown)}`);
        return true;
      },
      { what: 'the approval confirmed on the page' },
    );

    // The results arrive; the pictures follow; the next batch is proposed and marked in the explored space.
    await until(async () => (await page.textContent('[data-testid=progress]'))?.startsWith('4 of 12 done'), {
      what: '4 results on the page',
      timeoutMs: 30_000,
    });
    await until(async () => (await count(page, 'chart-best')) === 4, { what: 'best-so-far with 4 points' });
    await until(async () => (await count(page, 'chart-cv')) === 4, { what: 'predicted vs observed with 4 points' });
    await until(async () => (await count(page, 'chart-importance')) === 2, { what: 'importance of both parameters' });
    await until(async () => (await page.locator('#chart-space svg.plot').getAttribute('data-pending')) === '4', {
      what: 'the next batch marked in the space',
      timeoutMs: 30_000,
    });
    await until(async () => (await cards.count()) === 4 && (await cards.first().getAttribute('data-id')) !== editedId, {
      what: 'the next batch on the page',
    });

    const c = await campaign();
    const edited = c.experiments.find((e) => e.id === editedId)!;
    expect(edited.status).toBe('completed');
    expect(edited.params.x1).toBe(2.5);
    expect(edited.objective).toBeCloseTo(branin(2.5, edited.params.x2), 6);
    const audit = (
      await svc.api<{ action: string; actor: string; details: { after?: { x1: number } } }[]>('GET', `/api/campaigns/${campaignId}/audit`)
    ).body;
    expect(audit.find((a) => a.action === 'experiment.edited')).toMatchObject({ actor: 'operator:ada', details: { after: { x1: 2.5 } } });
    await page.screenshot({ path: screenshotPath('desktop-console'), fullPage: true });

    // Approve the second batch as it is: the pictures grow to 8 results.
    await page.click('[data-testid=approve]');
    await until(async () => (await count(page, 'chart-best')) === 8, { what: 'best-so-far with 8 points', timeoutMs: 30_000 });
    await until(async () => (await count(page, 'chart-cv')) === 8, { what: 'predicted vs observed with 8 points' });
    await page.screenshot({ path: screenshotPath('desktop-after-two-batches'), fullPage: true });
    await page.close();
  });

  it('on a phone, a viewer sees everything, cannot decide, and the service refuses its commands and anonymous sockets', async () => {
    const page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await login(page, TEST_TOKENS.viewer.token);
    await page.waitForSelector('[data-testid=whoami]:has-text("viewer:vera")');
    await until(async () => (await page.locator('[data-testid=proposal]').count()) === 4, { what: 'the pending batch on the phone' });
    await until(async () => (await count(page, 'chart-best')) === 8, { what: 'the pictures on the phone' });
    expect(await page.locator('[data-testid=approve]').count()).toBe(0);
    await page.waitForSelector('[data-testid=read-only]');
    // No horizontal scrolling on a phone.
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: screenshotPath('phone-console') });
    await page.screenshot({ path: screenshotPath('phone-console-full'), fullPage: true });
    await page.locator('#charts').screenshot({ path: screenshotPath('phone-charts') });

    // The same socket library the page uses, from the page: a viewer's approve is refused, no token is no socket.
    const c = await campaign();
    const batchId = c.batches.find((b) => b.status === 'proposed')!.id;
    const result = await page.evaluate(
      async ({ token, campaignId, batchId }) => {
        // served by the service to the page, not a module of ours: a plain string keeps the type checker out of it
        const client: string = '/socket.io/socket.io.esm.min.js';
        const { io } = await import(client);
        const viewer = io({ auth: { token }, transports: ['websocket'], forceNew: true });
        const reply = await viewer.timeout(5000).emitWithAck('batch.approve', { campaignId, batchId });
        viewer.close();
        const anonymous = io({ auth: {}, transports: ['websocket'], forceNew: true, reconnection: false });
        const refusal = await new Promise((resolve) => {
          anonymous.on('connect', () => resolve({ connected: true }));
          anonymous.on('connect_error', (e: Error & { data?: unknown }) => resolve({ connected: anonymous.connected, data: e.data }));
        });
        return { reply, refusal };
      },
      { token: TEST_TOKENS.viewer.token, campaignId, batchId },
    );
    expect(result.reply).toMatchObject({ status: 'error', error: { code: 'forbidden' } });
    expect(result.refusal).toEqual({
      connected: false,
      data: { code: 'unauthenticated', message: 'a valid token is required to connect' },
    });
    expect((await campaign()).batches.find((b) => b.id === batchId)?.status).toBe('proposed');
    await page.close();
  });

  it('an operator imports earlier results from a CSV file (a bad one is refused, naming why); anyone downloads the results', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, acceptDownloads: true });
    await login(page, TEST_TOKENS.operator.token);
    await page.waitForSelector('[data-testid=import-form]:not([hidden])');
    await page.fill('#import-source', 'Lab notebook 7');
    const file = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await page.setInputFiles('#import-file', file('bad.csv', 'x1,x2,y\n99,1,3\n'));
    await page.click('[data-testid=import]');
    await page.waitForSelector('#flash[data-testid=error]');
    expect(await page.textContent('#flash')).toContain('csv: line 2: "x1" = 99 is outside [-5, 10]');

    const good = `x1,x2,y,failed,notes\n1,2,${branin(1, 2)},false,a\n3,2.5,${branin(3, 2.5)},false,b\n-3,12,${branin(-3, 12)},,c\n9,9,,true,d\n`;
    await page.setInputFiles('#import-file', file('earlier.csv', good));
    await page.click('[data-testid=import]');
    await until(
      async () =>
        (await page.textContent('#flash'))?.includes('Imported 4 earlier results (1 failed) from Lab notebook 7; columns not read: notes.'),
      {
        what: 'the import confirmed on the page',
      },
    );
    await page.waitForSelector('[data-testid=imported]:has-text("4 earlier results (1 failed)")');
    await page.locator('#results-card').screenshot({ path: screenshotPath('desktop-import') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-results]')]);
    const text = await readFile(await download.path(), 'utf8');
    expect(text.split('\n')[0]).toBe('source,experiment,batch,device,finished_at,x1,x2,y,failed,failure_reason,metadata');
    expect(text.split('\n').filter((line) => line.startsWith('Lab notebook 7,'))).toHaveLength(4);
    await page.close();

    // A viewer downloads but does not import.
    const viewer = await browser.newPage({ viewport: DESKTOP });
    await login(viewer, TEST_TOKENS.viewer.token);
    await viewer.waitForSelector('[data-testid=imported]');
    expect(await viewer.locator('[data-testid=download-results]').isVisible()).toBe(true);
    expect(await viewer.locator('[data-testid=import-form]').isVisible()).toBe(false);
    await viewer.close();
  });

  it("a viewer asks the campaign's model: its predicted optimum, and a slice along each parameter", async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await login(page, TEST_TOKENS.viewer.token);
    await page.waitForSelector('[data-testid=model-optimum]:has-text("Predicted optimum: x1 = ")');
    const text = (await page.textContent('[data-testid=model-optimum]')) ?? '';
    const optimum = (await svc.api<{ optimum: { mean: number; sd: number } }>('GET', `/api/campaigns/${campaignId}/model/optimum`)).body
      .optimum;
    // the page shows what the API answers: the predicted value with its sd
    expect(text).toContain(`→ y ${Number(optimum.mean.toPrecision(4))} ± ${Number(optimum.sd.toPrecision(4))}`);
    await page.waitForSelector('[data-testid=model-slice] svg.plot[data-parameter=x1][data-count="41"]');
    await page.selectOption('[data-testid=slice-parameter]', 'x2');
    await page.waitForSelector('[data-testid=model-slice] svg.plot[data-parameter=x2][data-count="41"]');
    await page.locator('#model-card').screenshot({ path: screenshotPath('desktop-model') });
    await page.close();
  });

  it('an operator reports the value of an experiment a person ran, and aborts another, from the console', async () => {
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({
        name: 'Branin by hand',
        deviceKind: 'manual',
        budget: 2,
        batchSize: 2,
        seed: 5,
        objective: { name: 'y', direction: 'minimize', low: 0 },
      }),
    );
    const id = created.body.id;
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${svc.httpUrl}/console/#campaign=${id}`);
    await page.fill('#token', TEST_TOKENS.operator.token);
    await page.click('#login-form button[type=submit]');
    const rows = page.locator('[data-testid=in-progress] li');
    await until(async () => (await page.locator('[data-testid=report-form]').count()) === 2, {
      what: 'two experiments waiting for a person',
    });
    expect(await rows.first().textContent()).toContain('waiting for a person');
    const [first, second] = (await campaign2(svc, id)).experiments;

    // A value outside the checks is refused on the page, naming why; a good one is stored.
    const firstRow = page.locator(`[data-testid=in-progress] li[data-id="${first.id}"]`);
    await firstRow.locator('[data-testid=report-value]').fill('-5');
    await firstRow.locator('[data-testid=report]').click();
    await page.waitForSelector('#flash[data-testid=error]');
    expect(await page.textContent('#flash')).toContain('"y" = -5 is below the plausible range (low 0)');
    await firstRow.locator('[data-testid=report-value]').fill('12.5');
    await firstRow.locator('[data-testid=report]').click();
    await until(async () => (await page.textContent('#flash'))?.includes('y = 12.5 stored'), { what: 'the report confirmed' });
    await page.locator('#controls').screenshot({ path: screenshotPath('desktop-controls') });
    await page.locator(`[data-testid=in-progress] li[data-id="${second.id}"] [data-testid=abort]`).click();
    await until(async () => (await page.textContent('#flash'))?.includes('aborted'), { what: 'the abort confirmed' });
    // Gone from the card (an aborted experiment spends no budget: the campaign proposes another in its place).
    await until(async () => (await page.locator(`[data-testid=in-progress] li[data-id="${second.id}"]`).count()) === 0, {
      what: 'the aborted experiment off the card',
    });
    const after = await campaign2(svc, id);
    expect(after.experiments.map((e) => [e.id, e.status, e.objective])).toEqual([
      [first.id, 'completed', 12.5],
      [second.id, 'aborted', null],
    ]);
    await page.close();
  });
});

async function campaign2(svc: TestService, id: string): Promise<Campaign> {
  return until(
    async () => {
      const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
      return c.experiments.length >= 2 ? { ...c, experiments: c.experiments.slice(0, 2) } : undefined;
    },
    { what: "the manual campaign's experiments" },
  );
}
