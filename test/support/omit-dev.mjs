// `node --import ./test/support/omit-dev.mjs …`: runs as a production install would (omit-dev-hooks.mjs).
import { register } from 'node:module';

register('./omit-dev-hooks.mjs', import.meta.url);
