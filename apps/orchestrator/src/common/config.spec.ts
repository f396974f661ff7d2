import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('takes the README defaults for what is unset or empty', () => {
    const c = loadConfig({ PORT: '', HOST: '' });
    expect(c).toMatchObject({
      databaseUrl: undefined,
      databaseWaitS: 60,
      mqttUrl: undefined,
      mqttWaitS: 60,
      mqttProtocolVersion: 4,
      mqttPort: 1883,
      httpPort: 3000,
      httpHost: '127.0.0.1',
      dataDir: '.data',
      loopIntervalMs: 200,
      commandResendMs: 2000,
      deviceSilentAfterMs: 0,
      deviceOfflineGraceMs: 10_000,
      campaignStallAfterMs: 1_800_000,
      leaseTtlMs: 15_000,
      logLevel: 'log',
      logFormat: 'text',
      mqttDeviceEventRate: 100,
      mqttDeviceEventBurst: 500,
      tokens: [],
    });
    expect(c.instanceId).toMatch(/^orchestrator-/);
    expect(c.proposalWorkers).toBeGreaterThanOrEqual(1);
  });

  it('reads each variable it is given', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/x',
      MQTT_URL: 'mqtts://broker:8883',
      MQTT_PROTOCOL_VERSION: '5',
      PORT: '0',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      PROPOSAL_WORKERS: '0',
      HAKKEN_INSTANCE_ID: 'replica-a',
    });
    expect(c).toMatchObject({
      databaseUrl: 'postgresql://u:p@db:5432/x',
      mqttUrl: 'mqtts://broker:8883',
      mqttProtocolVersion: 5,
      httpPort: 0,
      logLevel: 'debug',
      logFormat: 'json',
      proposalWorkers: 0,
      instanceId: 'replica-a',
    });
  });

  it('names every problem in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://db/x',
        MQTT_URL: 'not a url',
        MQTT_PROTOCOL_VERSION: '3',
        PORT: '70000',
        LOG_LEVEL: 'verbose',
        LEASE_TTL_MS: '1.5',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DATABASE_URL must use postgres: or postgresql: (got mysql:)',
      'MQTT_URL is not a URL',
      'MQTT_PROTOCOL_VERSION must be an integer in [4, 5] (got "3")',
      'PORT must be an integer in [0, 65535] (got "70000")',
      'LEASE_TTL_MS must be an integer in [1000, 600000] (got "1.5")',
      'LOG_LEVEL must be error, warn, log or debug (got "verbose")',
    ]);
    expect((error as ConfigError).message).toMatch(/^invalid configuration: DATABASE_URL .*; LOG_LEVEL must be/);
  });
});
