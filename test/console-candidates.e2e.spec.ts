import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { directArylationCampaignParameters, directArylationEmulator } from '#simulators';
import { launchChromium, screenshotPath } from './support/browser.js';
import { until } from './support/poll.js';
import { startTestService, TEST_TOKENS, type TestService } from './support/service.js';

interface Candidates {
  list: { id: string; rows: number };
  proposed: number;
  available: number;
  excluded: { row: number; reason: string; excludedBy: string }[];
}

const emulator = directArylationEmulator();
/** 12 direct-arylation reactions at 0.1 M and 105 °C, with the ligand's molar mass as a descriptor. */
const rows = emulator.choices.base.slice(0, 2).flatMap((base) =>
  emulator.choices.ligand.slice(0, 3).flatMap((ligand) =>
    emulator.choices.solvent.slice(0, 2).map((solvent) => ({
      base,
      ligand,
      solvent,
      concentration_M: '0.1',
      temperature_C: '105',
      ligand_mass: emulator.descriptors.ligand[ligand].molar_mass,
    })),
  ),
);
const header = Object.keys(rows[0]).join(',');
const good = [header, ...rows.map((r) => Object.values(r).join(','))].join('\n');
/** The same table with its second row cut short. */
const bad = [header, ...rows.map((r, i) => (i === 1 ? `${r.base},${r.ligand}` : Object.values(r).join(',')))].join('\n');

/**
 * The console's candidate lists in a real headless Chromium: an operator
 * uploads a list from a CSV file (a bad one first: every problem is shown,
 * nothing stored), a campaign over it shows its Candidates card with the
 * counts the API gives, and an exclusion made on the page is the one the API
 * then lists. A viewer sees the card but neither form.
 */
describe('operator console: candidate lists', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  async function login(page: Page, token: string, hash = '') {
    await page.goto(`${svc.httpUrl}/console/${hash}`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
  }

  const upload = async (page: Page, csv: string) => {
    await page.setInputFiles('#candidate-list-file', { name: 'in-stock.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.fill('#candidate-list-name', 'in stock');
    await page.fill('#candidate-list-descriptors', 'ligand_mass');
    await page.click('[data-testid=upload-candidates]');
  };

  it('uploads a list, shows a campaign’s candidates and excludes rows; a viewer sees no forms', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(page, TEST_TOKENS.operator.token);
    const answer = page.locator('[data-testid=candidate-list-answer]');

    // A file with a row cut short: the problem is named, and nothing is stored.
    const before = (await svc.dataSource.query('SELECT count(*) AS n FROM candidate_lists')) as { n: string }[];
    await upload(page, bad);
    await until(async () => (await answer.getAttribute('data-state')) === 'error', { what: 'the refused upload' });
    expect(await answer.locator('[data-testid=problems] li').allTextContents()).toEqual(['csv: line 3 has 2 fields, the header has 6']);
    expect(((await svc.dataSource.query('SELECT count(*) AS n FROM candidate_lists')) as { n: string }[])[0].n).toBe(before[0].n);

    // The whole file: the new list's id is shown, to name in a definition.
    await upload(page, good);
    const idText = page.locator('[data-testid=candidate-list-id]');
    await idText.waitFor();
    const listId = (await idText.textContent())!.trim();
    const list = await svc.api<{ rows: number; name: string; descriptors: string[] }>('GET', `/api/candidate-lists/${listId}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ rows: 12, name: 'in stock', descriptors: ['ligand_mass'] });
    expect(await answer.textContent()).toContain('12 rows');

    const created = await svc.api<{ id: string }>('POST', '/api/campaigns', {
      name: 'arylation over an uploaded list',
      parameters: directArylationCampaignParameters(),
      objective: { name: 'yield', direction: 'maximize', low: 0, high: 100 },
      budget: 8,
      batchSize: 4,
      approval: 'manual',
      deviceKind: 'no-such-rig',
      seed: 3,
      candidates: { list: listId },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The first batch waits for approval: the counts no longer move.
    await until(
      async () => ((await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`)).body.proposed === 4 ? true : undefined),
      {
        what: 'the first batch proposed from the list',
      },
    );
    const api = (await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`)).body;

    await page.goto(`${svc.httpUrl}/console/#campaign=${id}`);
    await page.reload();
    const card = page.locator('[data-testid=candidates]');
    await card.locator('[data-count=rows]').waitFor();
    const count = async (name: string) => Number(await card.locator(`[data-count=${name}]`).textContent());
    expect([await count('rows'), await count('proposed'), await count('available'), await count('excluded')]).toEqual([
      api.list.rows,
      api.proposed,
      api.available,
      api.excluded.length,
    ]);
    expect(api).toMatchObject({ proposed: 4, available: 8 });

    // Rows the batch does not hold, typed as an operator would; a row outside the list first: refused, every problem named.
    const proposedKeys = new Set(
      (await svc.api<{ experiments: { params: Record<string, string | number> }[] }>('GET', `/api/campaigns/${id}`)).body.experiments.map(
        (e) => `${e.params.base}|${e.params.ligand}|${e.params.solvent}`,
      ),
    );
    const free = rows.flatMap((r, i) => (proposedKeys.has(`${r.base}|${r.ligand}|${r.solvent}`) ? [] : [i + 1]));
    const excludeAnswer = card.locator('[data-testid=exclude-answer]');
    await card.locator('[data-testid=exclude-rows]').fill(`${free[0]}, 13, 0`);
    await card.locator('[data-testid=exclude-reason]').fill('ligand out of stock');
    await card.locator('[data-testid=exclude]').click();
    await until(async () => (await excludeAnswer.getAttribute('data-state')) === 'error', { what: 'the refused exclusion' });
    expect(await excludeAnswer.locator('li').allTextContents()).toEqual([
      'rows[1]: row 13 is not a row of the list (rows 1 to 12)',
      'rows[2]: row 0 is not a row of the list (rows 1 to 12)',
    ]);
    expect((await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`)).body.excluded).toEqual([]);

    await card.locator('[data-testid=exclude-rows]').fill(`${free[0]}, ${free[1]}-${free[1]}`);
    await card.locator('[data-testid=exclude-reason]').fill('ligand out of stock');
    await card.locator('[data-testid=exclude]').click();
    await until(async () => (await excludeAnswer.getAttribute('data-state')) === 'ok', { what: 'the stored exclusion' });
    const after = (await svc.api<Candidates>('GET', `/api/campaigns/${id}/candidates`)).body;
    expect(after.excluded.map((x) => [x.row, x.reason, x.excludedBy])).toEqual([
      [free[0], 'ligand out of stock', 'operator:ada'],
      [free[1], 'ligand out of stock', 'operator:ada'],
    ]);
    await until(async () => (await count('excluded')) === 2, { what: 'the card to show the exclusions' });
    expect(await count('available')).toBe(after.available);
    expect(await card.locator('[data-testid=excluded-rows] li').allTextContents()).toEqual([
      `row ${free[0]}: ligand out of stock (operator:ada)`,
      `row ${free[1]}: ligand out of stock (operator:ada)`,
    ]);
    await page.screenshot({ path: screenshotPath('desktop-candidates'), fullPage: true });
    await page.close();

    // A viewer sees the counts and the excluded rows, but neither form.
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(viewer, TEST_TOKENS.viewer.token, `#campaign=${id}`);
    const seen = viewer.locator('[data-testid=candidates]');
    await seen.locator('[data-testid=excluded-rows]').waitFor();
    expect(await seen.locator('[data-count=excluded]').textContent()).toBe('2');
    expect(await seen.locator('form').count()).toBe(0);
    expect(await viewer.locator('[data-testid=candidate-list-card]').isHidden()).toBe(true);
    await viewer.close();
  }, 90_000);
});
