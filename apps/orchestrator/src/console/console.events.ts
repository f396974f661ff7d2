import type { HakkenEventMap } from '../common/events.js';
import type { DomainErrorCode } from '../common/errors.js';
import type { Principal } from '../common/roles.js';
import type { ApprovalPolicy } from '../campaigns/approval-policy.js';
import type { CampaignDetail } from '../campaigns/campaigns.service.js';

/**
 * The console socket's protocol, in one place (as the internal bus's
 * HakkenEventMap): events the service pushes, and commands the console sends
 * with the reply each gets. The browser page speaks the same names.
 */

/** Pushed to every authenticated console: the internal bus, relayed. */
export type ConsoleEventMap = HakkenEventMap & {
  /** Sent once on connecting: who the token stands for. */
  'session.ready': Principal;
};
export const RELAYED_EVENTS = [
  'campaign.updated',
  'batch.proposed',
  'batch.decided',
  'experiment.updated',
  'device.updated',
  'device.controlled',
  'command.acknowledged',
  'campaign.definitionChanged',
] as const satisfies readonly (keyof HakkenEventMap)[];

/** Commands: name -> request (the reply of each is the campaign, as REST answers). */
export interface ConsoleCommandMap {
  'batch.approve': { campaignId: string; batchId: string; note?: string };
  'batch.reject': { campaignId: string; batchId: string; note?: string };
  'batch.editAndApprove': {
    campaignId: string;
    batchId: string;
    edits: { experimentId: string; params: Record<string, number | string> }[];
    exclude?: string[];
    reason: string;
  };
  'campaign.pause': { campaignId: string };
  'campaign.resume': { campaignId: string };
  'campaign.setApproval': { campaignId: string; policy: ApprovalPolicy; note?: string };
}
export type ConsoleCommand = keyof ConsoleCommandMap;

/** Every command is answered (socket.io acknowledgement) with one envelope. */
export type ConsoleReply<T = CampaignDetail> =
  { status: 'ok'; data: T } | { status: 'error'; error: { code: DomainErrorCode | 'internal'; message: string; problems: string[] } };

/** socket.io typings for both ends. */
export type ServerToClientEvents = { [E in keyof ConsoleEventMap]: (payload: ConsoleEventMap[E]) => void } & {
  /** A command sent without an acknowledgement callback failed. */
  'command.error': (reply: Extract<ConsoleReply, { status: 'error' }>) => void;
};
export type ClientToServerEvents = {
  [C in ConsoleCommand]: (request: ConsoleCommandMap[C], ack: (reply: ConsoleReply) => void) => void;
};
export interface SocketData {
  principal?: Principal;
}

/** Why a socket was refused at connection; sent as the connect_error's data. */
export interface ConnectRefusal {
  code: 'unauthenticated';
  message: string;
}
