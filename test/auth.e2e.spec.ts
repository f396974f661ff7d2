import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { io, type Socket } from 'socket.io-client';
import { TokenService } from '../apps/orchestrator/src/auth/token.service.js';
import { loadConfig } from '../apps/orchestrator/src/common/config.js';
import type { HakkenEventMap } from '../apps/orchestrator/src/common/events.js';
import type { ClientToServerEvents, ConsoleReply, ServerToClientEvents } from '../apps/orchestrator/src/console/console.events.js';
import { until } from './support/poll.js';
import { braninCampaign, startTestService, TEST_TOKENS, type TestService } from './support/service.js';

type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
interface Campaign {
  id: string;
  status: string;
  definition: { approval: string };
  batches: { id: string; status: string; decidedBy: string | null; decisionNote: string | null }[];
  experiments: { id: string; batchId: string; index: number; status: string; params: Record<string, number> }[];
}
interface AuditEntry {
  actor: string;
  action: string;
  experimentId: string | null;
  details: Record<string, unknown>;
}

describe('authentication and roles, REST and console socket', () => {
  let svc: TestService;
  const sockets: ConsoleSocket[] = [];

  const socket = (token?: string): ConsoleSocket => {
    const s: ConsoleSocket = io(svc.httpUrl, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(s);
    return s;
  };
  const connected = (s: ConsoleSocket) =>
    new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', (e) => reject(e));
    });
  /** A manual campaign nobody runs, with its first batch proposed. */
  const proposedCampaign = async (): Promise<Campaign> => {
    const created = await svc.api<Campaign>(
      'POST',
      '/api/campaigns',
      braninCampaign({ approval: 'manual', deviceKind: 'nobody-has-this', budget: 8, batchSize: 4 }),
    );
    expect(created.status).toBe(201);
    return until(
      async () => {
        const c = (await svc.api<Campaign>('GET', `/api/campaigns/${created.body.id}`)).body;
        return c.batches.some((b) => b.status === 'proposed') ? c : undefined;
      },
      { what: 'a proposed batch' },
    );
  };

  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await svc?.stop();
  });

  it('asks for a token: none or a wrong one gets 401; health and the page stay public', async () => {
    expect((await svc.api('GET', '/api/campaigns', undefined, { as: 'anonymous' })).status).toBe(401);
    const wrong = await svc.api<{ error: { code: string } }>('GET', '/api/campaigns', undefined, { token: 'not-a-token-anyone-has' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthenticated');
    expect((await svc.api('GET', '/api/health', undefined, { as: 'anonymous' })).status).toBe(200);
    const page = await fetch(`${svc.httpUrl}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/operator console/);
    const me = await svc.api('GET', '/api/auth/me', undefined, { as: 'operator' });
    expect(me.body).toEqual({ role: 'operator', name: 'ada' });
  });

  it('gives each role its rights: viewers see, operators decide, admins create', async () => {
    const c = await proposedCampaign();
    const batch = c.batches.find((b) => b.status === 'proposed')!;
    expect((await svc.api('GET', `/api/campaigns/${c.id}`, undefined, { as: 'viewer' })).status).toBe(200);
    const refused = await svc.api<{ error: { code: string; message: string } }>(
      'POST',
      `/api/campaigns/${c.id}/batches/${batch.id}/approve`,
      {},
      { as: 'viewer' },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/viewer:vera .*operator/) });
    expect((await svc.api('POST', '/api/campaigns', braninCampaign(), { as: 'operator' })).status).toBe(403);
    expect((await svc.api('POST', `/api/campaigns/${c.id}/cancel`, undefined, { as: 'operator' })).status).toBe(403);
    expect((await svc.api('PUT', `/api/campaigns/${c.id}/approval`, { policy: 'auto' }, { as: 'viewer' })).status).toBe(403);

    const changed = await svc.api<Campaign>(
      'PUT',
      `/api/campaigns/${c.id}/approval`,
      { policy: 'auto-unless-flagged', note: 'model is good now' },
      { as: 'operator' },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.definition.approval).toBe('auto-unless-flagged');
    expect((await svc.api('PUT', `/api/campaigns/${c.id}/approval`, { policy: 'sometimes' }, { as: 'operator' })).status).toBe(400);

    // REST edit-and-approve: one value changed, one proposal left out.
    const [first, second] = c.experiments.filter((e) => e.batchId === batch.id);
    const bad = await svc.api<{ error: { problems: string[] } }>(
      'POST',
      `/api/campaigns/${c.id}/batches/${batch.id}/edit-and-approve`,
      { edits: [{ experimentId: first.id, params: { x1: 99 } }], reason: 'rig limit' },
      { as: 'operator' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toEqual([`proposal ${first.index}: "x1" = 99 is outside [-5, 10]`]);
    const ok = await svc.api<Campaign>(
      'POST',
      `/api/campaigns/${c.id}/batches/${batch.id}/edit-and-approve`,
      { edits: [{ experimentId: first.id, params: { x1: 2.5 } }], exclude: [second.id], reason: 'rig limit' },
      { as: 'operator' },
    );
    expect(ok.status).toBe(200);
    const byId = new Map(ok.body.experiments.map((e) => [e.id, e]));
    expect(byId.get(first.id)).toMatchObject({ status: 'queued', params: { x1: 2.5, x2: first.params.x2 } });
    expect(byId.get(second.id)?.status).toBe('rejected');
    expect(ok.body.batches.find((b) => b.id === batch.id)).toMatchObject({
      status: 'approved',
      decidedBy: 'operator:ada',
      decisionNote: 'rig limit',
    });

    const audit = (await svc.api<AuditEntry[]>('GET', `/api/campaigns/${c.id}/audit`, undefined, { as: 'viewer' })).body;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'campaign.created', actor: 'admin:root' }),
        expect.objectContaining({
          action: 'campaign.approval_changed',
          actor: 'operator:ada',
          details: { from: 'manual', to: 'auto-unless-flagged', note: 'model is good now' },
        }),
        expect.objectContaining({
          action: 'experiment.edited',
          actor: 'operator:ada',
          experimentId: first.id,
          details: expect.objectContaining({ before: { x1: first.params.x1 }, after: { x1: 2.5 }, reason: 'rig limit' }),
        }),
        expect.objectContaining({ action: 'experiment.excluded', experimentId: second.id }),
        expect.objectContaining({ action: 'batch.approved', actor: 'operator:ada' }),
      ]),
    );
  });

  it('closes a socket that brings no token or a wrong one', async () => {
    for (const s of [socket(), socket('not-a-token-anyone-has')]) {
      const error = await connected(s).then(
        () => undefined,
        (e: Error & { data?: { code: string } }) => e,
      );
      expect(error?.data).toEqual({ code: 'unauthenticated', message: 'a valid token is required to connect' });
      expect(s.connected).toBe(false);
    }
  });

  it('relays events to a viewer and refuses its approve command; an operator edits and approves over the socket', async () => {
    const c = await proposedCampaign();
    const batch = c.batches.find((b) => b.status === 'proposed')!;
    const viewer = socket(TEST_TOKENS.viewer.token);
    const ready = new Promise((r) => viewer.once('session.ready', r));
    await connected(viewer);
    expect(await ready).toEqual({ role: 'viewer', name: 'vera' });
    const events: string[] = [];
    viewer.on('campaign.updated', (e: HakkenEventMap['campaign.updated']) => events.push(`${e.campaignId}:${e.status}`));

    const refused: ConsoleReply = await viewer.timeout(5000).emitWithAck('batch.approve', { campaignId: c.id, batchId: batch.id });
    expect(refused).toEqual({ status: 'error', error: { code: 'forbidden', message: expect.stringMatching(/viewer:vera/), problems: [] } });

    const operator = socket(TEST_TOKENS.operator.token);
    await connected(operator);
    const [first] = c.experiments.filter((e) => e.batchId === batch.id);
    const invalid = await operator
      .timeout(5000)
      .emitWithAck('batch.editAndApprove', {
        campaignId: c.id,
        batchId: batch.id,
        edits: [{ experimentId: first.id, params: { x2: -1 } }],
        reason: 'why not',
      });
    expect(invalid).toMatchObject({
      status: 'error',
      error: { code: 'invalid_input', problems: [`proposal ${first.index}: "x2" = -1 is outside [0, 15]`] },
    });
    const unknown = await operator
      .timeout(5000)
      .emitWithAck('batch.approve', { campaignId: c.id, batchId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown).toMatchObject({ status: 'error', error: { code: 'not_found' } });

    const done: ConsoleReply = await operator
      .timeout(5000)
      .emitWithAck('batch.editAndApprove', {
        campaignId: c.id,
        batchId: batch.id,
        edits: [{ experimentId: first.id, params: { x2: 7 } }],
        reason: 'closer to the centre',
      });
    expect(done.status).toBe('ok');
    if (done.status === 'ok') expect(done.data.experiments.find((e) => e.id === first.id)?.params.x2).toBe(7);

    const paused = await operator.timeout(5000).emitWithAck('campaign.pause', { campaignId: c.id });
    expect(paused).toMatchObject({ status: 'ok', data: { status: 'paused' } });
    await until(() => events.includes(`${c.id}:paused`), { what: 'the pause relayed to the viewer' });
    const audit = (await svc.api<AuditEntry[]>('GET', `/api/campaigns/${c.id}/audit`)).body;
    expect(audit.filter((a) => a.action === 'experiment.edited')).toEqual([
      expect.objectContaining({
        actor: 'operator:ada',
        details: expect.objectContaining({ before: { x2: first.params.x2 }, after: { x2: 7 }, reason: 'closer to the centre' }),
      }),
    ]);
    expect(audit.find((a) => a.action === 'campaign.paused')?.actor).toBe('operator:ada');
  });

  it('declares bearer auth in the OpenAPI document', async () => {
    const doc = (
      await svc.api<{ components: { securitySchemes: Record<string, { scheme: string }> }; paths: Record<string, unknown> }>(
        'GET',
        '/api/openapi.json',
        undefined,
        { as: 'anonymous' },
      )
    ).body;
    expect(Object.values(doc.components.securitySchemes)).toEqual([expect.objectContaining({ scheme: 'bearer' })]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/campaigns/{id}/insights', '/api/campaigns/{id}/batches/{batchId}/edit-and-approve']),
    );
  });

  it('with no token configured, generates one admin token and logs it once', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const tokens = new TokenService(loadConfig({}));
      expect(warn).toHaveBeenCalledTimes(1);
      const token = String(warn.mock.calls[0][0]).match(/token for this run: (\S+)/)?.[1];
      expect(token).toBeDefined();
      expect(tokens.authenticate(token)).toEqual({ role: 'admin', name: 'generated' });
      expect(tokens.authenticate('something-else-entirely')).toBeUndefined();
    } finally {
      warn.mockRestore();
    }
  });
});
