import { formatIssues } from '#optimizer';
import type { DataSource } from 'typeorm';
import { queryRows, type CampaignStatus, type JsonObject } from '#persistence';
import { DomainError } from '../common/errors.js';
import { UUID } from '../common/uuid.js';
import { campaignDefinitionSchema, withPrimaryObjective, type CampaignDefinition } from './campaign-definition.js';

/**
 * A campaign's definition at rest: written once, when the campaign is
 * created (after parseCampaignDefinition's checks), and read back on every
 * proposal, page and export. The stored JSON carries the version of its
 * shape, so that when the schema grows a definition written by an earlier
 * release is upgraded on read instead of refused (or, worse, misread deep in
 * the loop).
 *
 * To change the shape: raise DEFINITION_VERSION and add to UPGRADES the step
 * from the previous version, which rewrites an older stored definition into
 * one the current schema accepts. Adding an optional field, or one with a
 * schema default, needs no step: the schema's defaults fill it in (as they do
 * for `approval`, absent from campaigns stored before approval policies).
 *
 * A few fields are read in SQL, where no step runs: budget, batchSize,
 * objective, asynchronous (loop.service.ts), deviceKind (dispatcher),
 * maxAttempts (redispatch), experimentTimeoutS (device monitor), the
 * objective's direction (campaign statistics). A step that moves one of them
 * comes with a migration that rewrites the stored rows; its step then serves
 * the rows an older replica writes during a rolling upgrade.
 */
export const DEFINITION_VERSION = 1;

/** The key of the version in the stored JSON, beside the definition's own fields (which never use it). */
const VERSION_KEY = 'schemaVersion';

type StoredJson = Record<string, unknown>;

/** The step from version v to v + 1, under the key v. Definitions stored without a version are version 1. */
const UPGRADES: Readonly<Record<number, (stored: StoredJson) => StoredJson>> = {};

/** A stored definition that no longer reads: the campaign's rows are as they were, but nothing can act on them. */
export class StoredDefinitionError extends DomainError {
  constructor(
    readonly campaignId: string,
    problems: string[],
  ) {
    // The problems go into the message too: the loop's log of a failed proposal shows only the message.
    super('invalid_state', `the stored definition of campaign ${campaignId} cannot be read: ${problems.join('; ')}`, problems);
    this.name = 'StoredDefinitionError';
  }
}

/** The JSON to store for a definition that parseCampaignDefinition accepted. */
export function storedDefinition(definition: CampaignDefinition): JsonObject {
  return { ...definition, [VERSION_KEY]: DEFINITION_VERSION };
}

/**
 * The definition of a stored campaign: its JSON upgraded to the current
 * version and parsed with the schema (which also fills in defaults). The
 * semantic checks of parseCampaignDefinition ran when it was stored and are
 * not repeated: they sample the space, too slow for every read. Throws a
 * StoredDefinitionError naming the campaign and every problem.
 */
export function definitionOf(row: { id: string; definition: unknown }): CampaignDefinition {
  const r = campaignDefinitionSchema.safeParse(upgradeStored(row.id, row.definition));
  if (!r.success) throw new StoredDefinitionError(row.id, formatIssues(r.error.issues));
  if (!r.data.objective && !r.data.objectives?.length) throw new StoredDefinitionError(row.id, ['no objective']);
  return withPrimaryObjective(r.data);
}

/**
 * The stored JSON of campaign `id` brought to version `current` by the
 * upgrade steps, without its version key: the input of the schema. The steps
 * and the version are parameters so that a spec can run the loop with steps
 * of its own; the service uses UPGRADES and DEFINITION_VERSION.
 */
export function upgradeStored(
  id: string,
  stored: unknown,
  upgrades: Readonly<Record<number, (stored: StoredJson) => StoredJson>> = UPGRADES,
  current = DEFINITION_VERSION,
): StoredJson {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    throw new StoredDefinitionError(id, [
      `expected a JSON object, found ${Array.isArray(stored) ? 'an array' : stored === null ? 'null' : typeof stored}`,
    ]);
  const { [VERSION_KEY]: version = 1, ...fields } = stored as StoredJson;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new StoredDefinitionError(id, [`${VERSION_KEY}: expected a positive integer, found ${JSON.stringify(version)}`]);
  if (version > current)
    throw new StoredDefinitionError(id, [
      `${VERSION_KEY} ${version} was written by a newer release of hakken (this one reads up to ${current})`,
    ]);
  let upgraded: StoredJson = fields;
  for (let v = version; v < current; v++) {
    const step = upgrades[v];
    // A missing step is this release's bug, not the campaign's: it fails as such.
    if (!step) throw new Error(`no upgrade of stored campaign definitions from version ${v} to ${v + 1}`);
    upgraded = step(upgraded);
  }
  return upgraded;
}

/** A campaign's status and stored definition, read outside a transaction; not_found for an id that is no campaign's (or no UUID). */
export async function readStoredCampaign(
  dataSource: DataSource,
  id: string,
): Promise<{ status: CampaignStatus; definition: CampaignDefinition }> {
  const [row] = UUID.test(id)
    ? await queryRows<{ status: CampaignStatus; definition: unknown }>(
        dataSource,
        `SELECT status, definition FROM campaigns WHERE id = $1`,
        [id],
      )
    : [];
  if (!row) throw new DomainError('not_found', `campaign ${id} not found`);
  return { status: row.status, definition: definitionOf({ id, definition: row.definition }) };
}
