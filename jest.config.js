import { readFileSync } from 'node:fs';
import { swcOptions as swc } from './test/support/swc-options.mjs';

// Jest runs TypeScript through SWC in ESM mode (NestJS 12 is ESM-only).

// Packages import each other by name through package.json "imports" (#optimizer, #protocol, ...);
// tests run the sources, so each name maps to its package's source index.
const { imports } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const packageNames = Object.fromEntries(
  Object.entries(imports).map(([name, targets]) => [`^${name}$`, `<rootDir>/${targets.source.slice(2)}`]),
);

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { ...packageNames, '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/{apps,libs,devices,simulators,test,bench}/**/*.spec.ts'],
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/support/fast-check-limits.mjs'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};
