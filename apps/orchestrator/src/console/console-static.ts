import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The console's page is plain HTML, CSS and ES modules, served from the source
 * folder (no build step): next to this module when it runs from source, or at
 * the same place in the repository when it runs from dist/.
 */
export function consoleWebDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'web'), resolve(here, '../../../../../apps/orchestrator/src/console/web')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`the console's web folder is missing (looked in ${candidates.join(', ')})`);
  return found;
}

interface RedirectResponse {
  redirect(status: number, url: string): void;
}

/** Serves the page at /console/ (public: it asks for a token) and sends / there. */
export function mountConsole(app: NestExpressApplication): void {
  app.useStaticAssets(consoleWebDir(), { prefix: '/console/', index: 'index.html', maxAge: 0 });
  const http = app.getHttpAdapter();
  http.get('/', (_req: unknown, res: RedirectResponse) => res.redirect(302, '/console/'));
  http.get('/console', (_req: unknown, res: RedirectResponse) => res.redirect(302, '/console/'));
}
