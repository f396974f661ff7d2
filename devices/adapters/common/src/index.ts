export * from './device-args.js';
export * from './run-main.js';
