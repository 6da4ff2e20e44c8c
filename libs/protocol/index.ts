export * from './protocol.constants.js';
export * from './protocol.messages.js';
export * from './protocol.parser.js';
export * from './text-dialect.js';
export * from './frame-text.js';
export * from './log-text.js';
export * from './reconnect-window.js';
