export * from './env-schema.js';
export * from './log-level.js';
export * from './entrypoint.js';
