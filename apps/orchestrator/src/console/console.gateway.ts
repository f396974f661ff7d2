import { Logger, UseFilters, UseGuards, type OnModuleDestroy } from '@nestjs/common';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { Actor, Roles } from '../auth/auth.decorators.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { TokenService } from '../auth/token.service.js';
import { APPROVAL_POLICIES } from '../campaigns/approval-policy.js';
import { parseInput } from '../common/parse-input.js';
import { CampaignsService, type CampaignDetail } from '../campaigns/campaigns.service.js';
import { EventBus, type HakkenEventMap } from '../common/events.js';
import {
  RELAYED_EVENTS,
  type ClientToServerEvents,
  type ConnectRefusal,
  type ConsoleReply,
  type ServerToClientEvents,
  type SocketData,
} from './console.events.js';
import { WsErrorFilter } from './ws-error.filter.js';

type ConsoleServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ConsoleSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const uuid = z.string().max(64);
const batchTarget = z.object({ campaignId: uuid, batchId: uuid, note: z.string().max(2000).optional() }).strict();
const campaignTarget = z.object({ campaignId: uuid }).strict();
const approvalTarget = z.object({ campaignId: uuid, policy: z.enum(APPROVAL_POLICIES), note: z.string().max(2000).optional() }).strict();
const editTarget = z.looseObject({ campaignId: uuid, batchId: uuid });

const ok = (data: CampaignDetail): ConsoleReply => ({ status: 'ok', data });

/**
 * The operator console's socket (socket.io on the service's HTTP port). A
 * socket connects only with a known token (`auth: { token }`); it then gets
 * the internal bus's events live and may send commands, each checked against
 * its role by the same guard as REST and answered with a ConsoleReply.
 */
@WebSocketGateway()
@UseGuards(AuthGuard)
@UseFilters(WsErrorFilter)
export class ConsoleGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger('console');
  private readonly unsubscribe: (() => void)[] = [];

  @WebSocketServer()
  server!: ConsoleServer;

  constructor(
    private readonly campaigns: CampaignsService,
    private readonly tokens: TokenService,
    private readonly bus: EventBus,
  ) {}

  afterInit(server: ConsoleServer): void {
    server.use((socket, next) => {
      const auth: unknown = socket.handshake.auth;
      const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
      const principal = this.tokens.authenticate(token);
      if (!principal) {
        const refusal: ConnectRefusal = { code: 'unauthenticated', message: 'a valid token is required to connect' };
        next(Object.assign(new Error(refusal.message), { data: refusal }));
        return;
      }
      socket.data.principal = principal;
      next();
    });
    for (const event of RELAYED_EVENTS) this.relay(server, event);
  }

  handleConnection(socket: ConsoleSocket): void {
    const principal = socket.data.principal;
    if (!principal) {
      socket.disconnect(true);
      return;
    }
    this.logger.debug?.(`console connected: ${principal.role}:${principal.name}`);
    socket.emit('session.ready', principal);
  }

  onModuleDestroy(): void {
    this.unsubscribe.forEach((u) => u());
  }

  @SubscribeMessage('batch.approve')
  @Roles('operator')
  async approve(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    const r = parseInput(batchTarget, body, 'approve command');
    return ok(await this.campaigns.approveBatch(r.campaignId, r.batchId, actor, r.note));
  }

  @SubscribeMessage('batch.reject')
  @Roles('operator')
  async reject(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    const r = parseInput(batchTarget, body, 'reject command');
    return ok(await this.campaigns.rejectBatch(r.campaignId, r.batchId, actor, r.note));
  }

  @SubscribeMessage('batch.editAndApprove')
  @Roles('operator')
  async editAndApprove(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    const { campaignId, batchId, ...edit } = parseInput(editTarget, body, 'edit-and-approve command');
    return ok(await this.campaigns.editAndApproveBatch(campaignId, batchId, edit, actor));
  }

  @SubscribeMessage('campaign.pause')
  @Roles('operator')
  async pause(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    return ok(await this.campaigns.pause(parseInput(campaignTarget, body, 'pause command').campaignId, actor));
  }

  @SubscribeMessage('campaign.resume')
  @Roles('operator')
  async resume(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    return ok(await this.campaigns.resume(parseInput(campaignTarget, body, 'resume command').campaignId, actor));
  }

  @SubscribeMessage('campaign.setApproval')
  @Roles('operator')
  async setApproval(@MessageBody() body: unknown, @Actor() actor: string): Promise<ConsoleReply> {
    const { campaignId, ...change } = parseInput(approvalTarget, body, 'approval command');
    return ok(await this.campaigns.setApprovalPolicy(campaignId, change, actor));
  }

  private relay<E extends (typeof RELAYED_EVENTS)[number]>(server: ConsoleServer, event: E): void {
    // socket.io's typed emit cannot follow a generic event name; the maps agree by construction (ConsoleEventMap).
    const emit = server.emit.bind(server) as (e: E, payload: HakkenEventMap[E]) => boolean;
    // With no console connected, nothing to encode (every result emits an event).
    this.unsubscribe.push(this.bus.on(event, (payload) => server.sockets.sockets.size > 0 && emit(event, payload)));
  }
}
