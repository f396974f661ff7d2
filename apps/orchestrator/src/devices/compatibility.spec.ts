import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkAgainstCapabilities } from '#device-sdk';
import type { Capabilities } from '#protocol';
import { explainWaiting, incompatibility, limitProblem, type DeviceProfile, type Requirements } from './compatibility.js';

const reactor: DeviceProfile = {
  id: 'r1',
  kind: 'flow-reactor',
  capabilities: {
    parameters: { temperature: { low: 25, high: 100, unit: '°C' }, solvent: { choices: ['DMF', 'THF'] }, stages: { choices: ['1', '2'] } },
    objectives: ['yield'],
  },
};
const req = (params: Record<string, number | string>, over: Partial<Requirements> = {}): Requirements => ({
  deviceKind: 'flow-reactor',
  objective: 'yield',
  params,
  ...over,
});

describe('device compatibility', () => {
  it('accepts parameters within the declared limits, bounds included', () => {
    expect(incompatibility(reactor, req({ temperature: 25, solvent: 'THF', stages: 2 }))).toBeUndefined();
    expect(incompatibility(reactor, req({ temperature: 100 }))).toBeUndefined();
  });

  it('names the first parameter outside the limits', () => {
    expect(incompatibility(reactor, req({ temperature: 100.5 }))).toBe('allows temperature <= 100 °C, not 100.5 °C');
    expect(incompatibility(reactor, req({ temperature: 24 }))).toBe('allows temperature >= 25 °C, not 24 °C');
    expect(incompatibility(reactor, req({ solvent: 'MeCN' }))).toBe('allows solvent only in {DMF, THF}, not "MeCN"');
    expect(incompatibility(reactor, req({ stages: 3 }))).toBe('allows stages only in {1, 2}, not 3');
    expect(incompatibility(reactor, req({ temperature: 'hot' }))).toBe('takes temperature as a number, not "hot"');
    expect(incompatibility(reactor, req({ pressure: 2 }))).toBe(
      'does not take parameter "pressure" (it takes temperature, solvent, stages)',
    );
  });

  it('checks the kind and the declared objectives', () => {
    expect(incompatibility(reactor, req({ temperature: 50 }, { deviceKind: 'furnace' }))).toBe('is of kind "flow-reactor", not "furnace"');
    expect(incompatibility(reactor, req({ temperature: 50 }, { deviceKind: null }))).toBeUndefined();
    expect(incompatibility(reactor, req({ temperature: 50 }, { objective: 'purity' }))).toBe(
      'does not measure "purity" (it measures yield)',
    );
  });

  it('lets a device that declares no limits run anything', () => {
    expect(limitProblem({ temperature: 1e9 }, null)).toBeUndefined();
    expect(limitProblem({ temperature: 1e9 }, { objectives: ['yield'] })).toBeUndefined();
  });

  it('explains why an experiment waits', () => {
    expect(explainWaiting(req({ temperature: 50 }), [])).toEqual({
      reason: 'no device of kind "flow-reactor" is online',
      limits: false,
      devices: [],
    });
    const w = explainWaiting(req({ temperature: 150 }), [
      reactor,
      { ...reactor, id: 'r0' },
      { id: 'f', kind: 'furnace', capabilities: null },
    ]);
    expect(w.limits).toBe(true);
    expect(w.reason).toBe(
      'outside the declared capabilities of every online device: r0 allows temperature <= 100 °C, not 150 °C; r1 allows temperature <= 100 °C, not 150 °C',
    );
  });

  it('never sends what the device SDK would refuse, nor holds back what it would take', () => {
    // The service's check (before dispatch) and the SDK's (on the rig) must agree on every value.
    const limit = fc.oneof(
      fc.record({
        low: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
        high: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
      }),
      fc.record({
        choices: fc.array(fc.oneof(fc.constantFrom('a', 'b', ' ', ''), fc.integer({ min: -3, max: 3 }).map(String)), {
          minLength: 1,
          maxLength: 4,
        }),
      }),
    );
    const value = fc.oneof(
      fc.integer({ min: -7, max: 7 }),
      fc.double({ min: -7, max: 7, noNaN: true }),
      fc.constantFrom('a', 'b', '1', ''),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('p', 'q', 'r'), limit),
        fc.dictionary(fc.constantFrom('p', 'q', 'r', 's'), value),
        (declared, params) => {
          const capabilities = { parameters: declared } as Capabilities;
          const sdk = checkAgainstCapabilities(params, capabilities).ok;
          const service = limitProblem(params, capabilities) === undefined;
          expect(service).toBe(sdk);
        },
      ),
      { numRuns: 2000, seed: 20261122 },
    );
  });
});
