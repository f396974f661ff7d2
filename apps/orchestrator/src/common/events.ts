import { EventEmitter } from 'node:events';
import type { CampaignStatus, DeviceCommandAck, DeviceCommandType, DeviceStatus, ExperimentStatus } from '#persistence';

/** Typed map of the internal event bus: event name -> payload. */
export interface HakkenEventMap {
  'campaign.updated': { campaignId: string; status: CampaignStatus };
  /** elapsedMs: the strategy's time to propose it (the proposal-latency metric). */
  'batch.proposed': { campaignId: string; batchId: string; index: number; size: number; approved: boolean; elapsedMs: number };
  'batch.decided': { campaignId: string; batchId: string; decision: 'approved' | 'rejected' };
  'experiment.updated': { campaignId: string; experimentId: string; status: ExperimentStatus };
  'device.updated': { deviceId: string; status: DeviceStatus };
  /** An operator stopped a device (emergency stop) or resumed it; commandId: the command the device is sent. */
  'device.controlled': { deviceId: string; action: 'stopped' | 'resumed'; by: string; reason: string | null; commandId: string };
  /** A device answered a control command (abort, stop, resume); the ids of the experiment and campaign an abort named. */
  'command.acknowledged': {
    commandId: string;
    deviceId: string;
    type: DeviceCommandType;
    status: DeviceCommandAck;
    detail: string | null;
    experimentId: string | null;
    campaignId: string | null;
  };
  /** A campaign's definition changed mid-campaign (PATCH /api/campaigns/:id): its new version, who, why and which fields. */
  'campaign.definitionChanged': { campaignId: string; version: number; changedBy: string; reason: string; fields: string[] };
}

export type HakkenEvent = keyof HakkenEventMap;

/** The internal bus: the loop wakes on it; the console (later) relays it. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends HakkenEvent>(event: E, payload: HakkenEventMap[E]): void {
    this.emitter.emit(event, payload);
  }

  on<E extends HakkenEvent>(event: E, listener: (payload: HakkenEventMap[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
}
