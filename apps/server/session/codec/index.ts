export * from './json.codec.js';
export * from './session-codec.js';
export * from './text.codec.js';
