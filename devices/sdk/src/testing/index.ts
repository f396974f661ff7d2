export * from './fake-service.js';
export * from './harness.js';
export * from './wait-for.js';
