export * from './embedded-broker.js';
export * from './credentials.js';
