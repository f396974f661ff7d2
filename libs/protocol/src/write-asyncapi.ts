#!/usr/bin/env node
/** Rewrites libs/protocol/asyncapi.json from the zod schemas: `npm run asyncapi` (path relative to the working directory, the repo root). */
import { writeFile } from 'node:fs/promises';
import { buildAsyncApiDocument } from './asyncapi.js';

const target = process.argv[2] ?? 'libs/protocol/asyncapi.json';
await writeFile(target, `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`, 'utf8');
process.stderr.write(`wrote ${target}\n`);
