import { swcOptions as swc } from './test/support/swc-options.mjs';

// Jest runs TypeScript through SWC in ESM mode (NestJS 12 is ESM-only).

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/{apps,libs,devices,simulators,test}/**/*.spec.ts'],
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/support/fast-check-limits.mjs'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};
