export * from './line-log.js';
export * from './node-process.js';
export * from './tcp-forwarder.js';
export * from './redis-server.js';
export * from './running-children.js';
export * from './delay-proxy.js';
export * from './redis-topologies.js';
