import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors.js';
import { parseCampaignDefinition } from './campaign-definition.js';
import { DEFINITION_VERSION, definitionOf, StoredDefinitionError, storedDefinition, upgradeStored } from './stored-definition.js';

const input = {
  name: 'screening',
  parameters: [
    { name: 'temp', type: 'continuous', low: 20, high: 80 },
    { name: 'solvent', type: 'categorical', choices: ['water', 'ethanol'] },
  ],
  objective: { name: 'yield', direction: 'maximize' },
  budget: 40,
  batchSize: 4,
};
const id = '6d1f3c1e-0000-4000-8000-000000000001';

/** What the stored JSON looks like after a trip through PostgreSQL's jsonb. */
function roundTrip(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json));
}

function refusal(stored: unknown): StoredDefinitionError {
  try {
    definitionOf({ id, definition: stored });
  } catch (e) {
    if (e instanceof StoredDefinitionError) return e;
    throw e;
  }
  throw new Error('the stored definition was read');
}

describe('a campaign definition at rest', () => {
  it('reads back what was stored, with its version beside it in the JSON', () => {
    const definition = parseCampaignDefinition(input);
    const stored = roundTrip(storedDefinition(definition));
    expect(stored).toMatchObject({ schemaVersion: DEFINITION_VERSION });
    expect(definitionOf({ id, definition: stored })).toEqual(definition);
  });

  it('reads a definition stored before versions and policies: version 1, with the defaults of the fields it lacks', () => {
    const read = definitionOf({ id, definition: roundTrip(input) });
    expect(read.approval).toBe('auto');
    expect(read.strategy).toEqual({ kind: 'default' });
    expect(read.maxAttempts).toBe(3);
  });

  it('refuses one that no longer parses with a typed error naming the campaign and every problem', () => {
    const e = refusal({ ...input, budget: 'forty', objective: { name: 'yield', direction: 'upwards' } });
    expect(e).toBeInstanceOf(DomainError);
    expect(e.code).toBe('invalid_state');
    expect(e.campaignId).toBe(id);
    expect(e.message).toContain(`campaign ${id}`);
    expect(e.problems).toEqual([expect.stringMatching(/^objective\.direction: /), expect.stringMatching(/^budget: /)]);
  });

  it('refuses a definition written by a newer release, and JSON that is no definition at all', () => {
    expect(refusal({ ...input, schemaVersion: DEFINITION_VERSION + 1 }).problems).toEqual([
      expect.stringContaining('written by a newer release'),
    ]);
    expect(refusal({ ...input, schemaVersion: 'one' }).problems).toEqual([expect.stringContaining('expected a positive integer')]);
    expect(refusal(null).problems).toEqual(['expected a JSON object, found null']);
    expect(refusal([input]).problems).toEqual(['expected a JSON object, found an array']);
  });

  it('upgrades an older stored shape step by step to the current version', () => {
    // Two releases on: version 2 renamed `batchSize` to `batch`, version 3 nested the budget.
    const upgrades = {
      1: ({ batchSize, ...rest }: Record<string, unknown>) => ({ ...rest, batch: batchSize }),
      2: ({ budget, ...rest }: Record<string, unknown>) => ({ ...rest, limits: { budget } }),
    };
    const fromOne = upgradeStored(id, { ...input, schemaVersion: 1 }, upgrades, 3);
    expect(fromOne).toMatchObject({ batch: 4, limits: { budget: 40 } });
    expect(fromOne).not.toHaveProperty('schemaVersion');
    expect(upgradeStored(id, { name: 'x', batch: 2, budget: 9, schemaVersion: 2 }, upgrades, 3)).toEqual({
      name: 'x',
      batch: 2,
      limits: { budget: 9 },
    });
    expect(() => upgradeStored(id, input, { 1: upgrades[1] }, 3)).toThrow('no upgrade of stored campaign definitions from version 2 to 3');
  });
});
