export * from './redis-keys.js';
export * from './client-summary.js';
