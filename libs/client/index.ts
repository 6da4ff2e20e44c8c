export * from './events.js';
export * from './graceful-client.js';
export * from './storage.js';
export {
  ConnectionLostError,
  HEARTBEAT_RANGE_MS,
  MARKER_CLOSE_WAIT_MS,
  clampHeartbeat,
  type SocketEvent,
  type SocketFactory,
  type WebSocketLike,
} from './transport.js';
export { backoffDelayMs, drainReconnectDelayMs } from './backoff.js';
export { ReconnectPolicy, type ReconnectSettings } from './reconnect-policy.js';
