// Types of notes.js for the TypeScript tests (the console's page is plain ES modules, served without a build).

/** A batch's provenance as the service stores it: the strategy's name and settings. */
export interface BatchProvenance {
  name: string;
  settings?: Record<string, unknown>;
}

export function batchNote(strategy: BatchProvenance | null | undefined): string | null;
