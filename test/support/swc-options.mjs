// How TypeScript is compiled for tests (SWC, ESM: NestJS 12 is ESM-only): used by jest.config.js and by
// the module hooks that let a worker thread in a spec load TypeScript sources (ts-module-hooks.mjs).
export const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};
