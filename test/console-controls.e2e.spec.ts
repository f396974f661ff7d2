import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { StopCommand } from '#protocol';
import { launchChromium, screenshotPath } from './support/browser.js';
import { testMqttUrl } from './support/database.js';
import { until } from './support/poll.js';
import { ScriptedDevice } from './support/scripted-device.js';
import { braninCampaign, startTestService, TEST_TOKENS, type ErrorBody, type TestService } from './support/service.js';

interface Version {
  version: number;
  changedBy: string | null;
  reason: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
}
interface Campaign {
  definitionVersion: number;
  experiments: { id: string; index: number; status: string; waitingReason: string | null }[];
}
interface Device {
  id: string;
  stopped: { by: string | null; reason: string | null } | null;
}

/**
 * Campaign and device controls on the console in a real headless Chromium: an
 * operator changes a running campaign's settings through its form (a refused
 * change shows the service's problems, and changes nothing), reads the
 * definition's versions, stops a device and resumes it with the buttons; and
 * an open page follows what others do (a result reported, an abort, a
 * settings change, a device's acknowledgement) over the socket, without a reload.
 */
describe('operator console: campaign and device controls', () => {
  let svc: TestService;
  let browser: Browser;
  const devices: ScriptedDevice[] = [];

  beforeAll(async () => {
    svc = await startTestService();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await browser?.close();
    await svc?.stop();
  });

  async function open(token: string, hash = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${svc.httpUrl}/console/${hash}`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('.live.connected');
    // A mark a reload would wipe: what the page shows later came over the socket.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    return page;
  }
  const notReloaded = (page: Page) => page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded === true);

  /** A campaign a person runs, its first batch waiting for its results. */
  async function manualCampaign(name: string): Promise<string> {
    const created = await svc.api<{ id: string }>(
      'POST',
      '/api/campaigns',
      braninCampaign({ name, budget: 10, batchSize: 2, deviceKind: 'manual' }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    await until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body;
        const waiting = c.experiments.filter((e) => e.status === 'queued' && e.waitingReason?.startsWith('waiting for a person'));
        return waiting.length === 2 ? true : undefined;
      },
      { what: 'the first batch waiting for a person' },
    );
    return id;
  }

  it('changes settings through the form, shows a refusal’s problems and the versions; a viewer only reads them', async () => {
    const id = await manualCampaign('settings on the console');
    const page = await open(TEST_TOKENS.operator.token, `#campaign=${id}`);
    const card = page.locator('[data-testid=settings]');
    const answer = card.locator('[data-testid=settings-answer]');
    await card.locator('[data-testid=settings-form]').waitFor();
    expect(await card.locator('[data-testid=version]').allTextContents()).toHaveLength(1);

    // Budget 12, UCB with kappa 3, a target: one change, kept as version 2.
    await card.locator('[data-testid=settings-budget]').fill('12');
    await card.locator('[data-testid=settings-acquisition]').selectOption('UCB');
    await card.locator('[data-testid=settings-kappa]').fill('3');
    await card.locator('[data-testid=settings-target]').fill('0.5');
    await card.locator('[data-testid=settings-reason]').fill('the model needs to explore more');
    await card.locator('[data-testid=settings-save]').click();
    await until(async () => (await answer.getAttribute('data-state')) === 'ok', { what: 'the stored change' });
    const versions = (await svc.api<Version[]>('GET', `/api/campaigns/${id}/definitions`)).body;
    expect(versions.map((v) => [v.version, v.changedBy, v.reason])).toEqual([
      [1, null, null],
      [2, 'operator:ada', 'the model needs to explore more'],
    ]);
    expect(versions[1].changes).toEqual({
      budget: { from: 10, to: 12 },
      strategy: { from: { kind: 'default' }, to: { kind: 'default', acquisition: { kind: 'UCB', kappa: 3 } } },
      target: { from: null, to: 0.5 },
    });
    expect(await answer.textContent()).toContain('Version 2: budget: 10 → 12');
    const newest = card.locator('[data-testid=version]').first();
    await until(async () => (await newest.getAttribute('data-version')) === '2', { what: 'version 2 listed' });
    expect(await newest.locator('[data-testid=version-reason]').textContent()).toBe('the model needs to explore more');
    expect(await newest.textContent()).toContain('operator:ada');
    expect(await newest.locator('[data-testid=version-change]').allTextContents()).toEqual([
      'budget: 10 → 12',
      'strategy.acquisition: none → {"kind":"UCB","kappa":3}',
      'target: none → 0.5',
    ]);
    // The form was redrawn with the new values.
    await until(async () => (await card.locator('[data-testid=settings-budget]').inputValue()) === '12', { what: 'the form redrawn' });
    expect(await card.locator('[data-testid=settings-acquisition]').inputValue()).toBe('UCB');

    // Below what is committed, and a batch larger than the budget: every problem named, nothing changed.
    const refusedBody = { reason: 'too much', budget: 1, batchSize: 5 };
    const expected = await svc.api<ErrorBody>('PATCH', `/api/campaigns/${id}`, refusedBody, { as: 'operator' });
    expect(expected.status).toBe(400);
    await card.locator('[data-testid=settings-budget]').fill('1');
    await card.locator('[data-testid=settings-batchSize]').fill('5');
    await card.locator('[data-testid=settings-reason]').fill('too much');
    await card.locator('[data-testid=settings-save]').click();
    await until(async () => (await answer.getAttribute('data-state')) === 'error', { what: 'the refused change' });
    const problems = await answer.locator('[data-testid=settings-problems] li').allTextContents();
    expect(problems).toEqual(expected.body.error.problems);
    expect(problems.some((p) => /^budget 1 is below what the campaign has already spent or committed: 2 experiments/.test(p))).toBe(true);
    expect(await answer.locator('p').textContent()).toBe(expected.body.error.message);
    expect((await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body.definitionVersion).toBe(2);
    await page.screenshot({ path: screenshotPath('desktop-settings'), fullPage: true });
    await page.close();

    // A viewer reads the settings and the versions, with no form.
    const viewer = await open(TEST_TOKENS.viewer.token, `#campaign=${id}`);
    const seen = viewer.locator('[data-testid=settings]');
    await seen.locator('[data-testid=settings-facts]').waitFor();
    await until(async () => (await seen.locator('[data-testid=version]').count()) === 2, { what: 'the versions for a viewer' });
    expect(await seen.locator('form').count()).toBe(0);
    expect(await seen.locator('[data-testid=settings-facts]').textContent()).toContain('UCB (kappa 3)');
    await viewer.close();
  }, 90_000);

  it('stops a device and resumes it with the buttons; its acknowledgement shows without a reload', async () => {
    const rig = await ScriptedDevice.connect(testMqttUrl(), `rig-${randomUUID().slice(0, 8)}`, `stop-${randomUUID().slice(0, 8)}`, 2);
    devices.push(rig);
    const page = await open(TEST_TOKENS.operator.token);
    const row = page.locator(`#devices li.device[data-id="${rig.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('online');

    await row.locator('[data-testid=stop-device]').click();
    await row.locator('[data-testid=stop-reason]').fill('smoke in the enclosure');
    await row.locator('[data-testid=confirm-stop]').click();
    await until(async () => (await row.getAttribute('data-state')) === 'stopped', { what: 'the device shown stopped' });
    expect(await row.locator('[data-testid=stopped]').textContent()).toMatch(/^stopped by operator:ada at .+: smoke in the enclosure$/);
    const stored = (await svc.api<Device>('GET', `/api/devices/${rig.id}`)).body;
    expect(stored.stopped).toMatchObject({ by: 'operator:ada', reason: 'smoke in the enclosure' });
    const ack = row.locator('[data-testid=stop-ack]');
    await until(async () => /^stop sent \d+ times?, not acknowledged yet$/.test((await ack.textContent()) ?? ''), {
      what: 'the stop shown unacknowledged',
    });

    // The device answers its stop command: the page hears of it over the socket.
    const stop = await until(() => rig.commands.find((c): c is StopCommand => c.type === 'stop'), {
      what: 'the stop command at the device',
    });
    await rig.publishEvent({ type: 'command_ack', commandId: stop.commandId, status: 'ok', detail: 'aborted everything, runs nothing' });
    await until(async () => (await ack.textContent()) === 'stop acknowledged: ok (aborted everything, runs nothing)', {
      what: 'the acknowledgement shown',
    });
    expect(await notReloaded(page)).toBe(true);

    await row.locator('[data-testid=resume-device]').click();
    await until(async () => (await row.getAttribute('data-state')) === 'online', { what: 'the device shown resumed' });
    expect(await row.locator('[data-testid=stopped]').count()).toBe(0);
    expect((await svc.api<Device>('GET', `/api/devices/${rig.id}`)).body.stopped).toBeNull();

    // Someone else stops it: this page shows it, and says who.
    const other = await svc.api('POST', `/api/devices/${rig.id}/stop`, { reason: 'maintenance' }, { as: 'admin' });
    expect(other.status).toBe(200);
    await until(async () => (await row.getAttribute('data-state')) === 'stopped', { what: 'the stop by another shown' });
    expect(await page.locator('#flash').textContent()).toBe(`Device ${rig.id} stopped by admin:root: maintenance.`);
    expect(await notReloaded(page)).toBe(true);
    await page.screenshot({ path: screenshotPath('desktop-device-stopped'), fullPage: true });
    await page.close();
  }, 90_000);

  it('shows a result, an abort and a settings change made elsewhere without a reload', async () => {
    const id = await manualCampaign('followed live');
    const page = await open(TEST_TOKENS.operator.token, `#campaign=${id}`);
    const rows = page.locator('[data-testid=in-progress] li');
    await until(async () => (await rows.count()) === 2, { what: 'two experiments in progress' });
    const [reported, aborted] = (await svc.api<Campaign>('GET', `/api/campaigns/${id}`)).body.experiments.filter(
      (e) => e.status === 'queued',
    );
    const row = (e: { id: string }) => page.locator(`[data-testid=in-progress] li[data-id="${e.id}"]`);
    await row(reported).waitFor();
    await row(aborted).waitFor();

    expect((await svc.api('POST', `/api/experiments/${reported.id}/result`, { values: { y: 3.2 } }, { as: 'admin' })).status).toBe(200);
    await until(async () => (await row(reported).count()) === 0, { what: 'the reported experiment gone from in progress' });
    await until(async () => (await page.locator('[data-testid=progress]').textContent())?.startsWith('1 of 10 done'), {
      what: 'the progress to count the result',
    });
    expect((await svc.api('POST', `/api/experiments/${aborted.id}/abort`, { reason: 'sample spilled' }, { as: 'admin' })).status).toBe(200);
    await until(async () => (await row(aborted).count()) === 0, { what: 'the aborted experiment gone from in progress' });

    const changed = await svc.api('PATCH', `/api/campaigns/${id}`, { reason: 'more runs approved', budget: 14 }, { as: 'admin' });
    expect(changed.status).toBe(200);
    const newest = page.locator('[data-testid=settings] [data-testid=version]').first();
    await until(async () => (await newest.getAttribute('data-version')) === '2', { what: 'the change by another listed' });
    expect(await newest.locator('[data-testid=version-change]').allTextContents()).toEqual(['budget: 10 → 14']);
    expect(await page.locator('#flash').textContent()).toBe('Settings changed by admin:root (budget): more runs approved');
    await until(async () => (await page.locator('[data-testid=settings-budget]').inputValue()) === '14', { what: 'the form redrawn' });
    expect(await notReloaded(page)).toBe(true);
    await page.close();
  }, 90_000);
});
