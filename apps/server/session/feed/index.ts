export * from './business-item.js';
export * from './data-feed.js';
export * from './ticker.feed.js';
