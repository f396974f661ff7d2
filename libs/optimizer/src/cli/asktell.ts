/**
 * The ask/tell benchmark protocol (bench/asktell/README.md) on stdin/stdout,
 * one JSON object per line, driving BayesianStrategy (PoolStrategy for pool
 * problems). Stdout carries replies only; diagnostics go to stderr.
 *
 *   node dist/libs/optimizer/src/cli/asktell.js [--options '<AskTellOptions as JSON>']
 *
 * (BayesianStrategyOptions, with the several-objective strategy's options under `multiObjective`.)
 */
import { createInterface } from 'node:readline';
import { type AskTellOptions, AskTellSession, type Reply } from '../ask-tell/ask-tell.js';

function strategyOptions(argv: readonly string[]): AskTellOptions {
  const i = argv.indexOf('--options');
  if (i < 0) return {};
  const parsed: unknown = JSON.parse(argv[i + 1] ?? '{}');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('--options must be a JSON object');
  return parsed;
}

async function main(): Promise<void> {
  const session = new AskTellSession(strategyOptions(process.argv.slice(2)), (line) => process.stderr.write(`${line}\n`));
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    let reply: Reply;
    try {
      reply = await session.handle(JSON.parse(line));
    } catch (e) {
      reply = { error: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (session.closed) break;
  }
  rl.close();
}

main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (e: unknown) => {
    process.stderr.write(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
