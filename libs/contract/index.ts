export * from './redis-keys.js';
export * from './client-summary.js';
export * from './server-listening.js';
export * from './log-events.js';
