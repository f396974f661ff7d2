import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { AppConfig } from './config.js';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/**
 * What a log line concerns, passed as the last argument of a log call
 * (`logger.log('…', logIds({ campaignId }))`): in json format each is a field
 * of the line's object, so a log collector can select a campaign's,
 * experiment's or device's lines; in text format they follow the message.
 */
export interface LogIds {
  campaignId?: string;
  experimentId?: string;
  deviceId?: string;
  batchId?: string;
}

/** The ids without those undefined (so a text line shows only what it concerns). */
export function logIds(ids: LogIds): LogIds {
  return Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
}

/**
 * The service's logger: Nest's own ConsoleLogger, no other dependency. In json
 * format (LOG_FORMAT=json) each line is one object — level, pid, timestamp,
 * message, context and the structured fields of the call (LogIds) at its top
 * level; in text format the usual coloured line for a terminal.
 */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): ConsoleLogger {
  return new ConsoleLogger({
    logLevels: LEVELS[config.logLevel],
    json: config.logFormat === 'json',
    structuredParams: true,
    flattenParams: true,
  });
}
