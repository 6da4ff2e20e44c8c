import type { SocketFactory } from '@app/client';
import WebSocket from 'ws';

/**
 * Sockets for Node from `ws`: frames over `maxPayloadBytes` refused before they are buffered,
 * no compression (the server offers none), the token as `Authorization: Bearer`.
 */
export function wsSocketFactory(maxPayloadBytes: number): SocketFactory {
  return (url, protocols, token) =>
    new WebSocket(url, protocols, {
      perMessageDeflate: false,
      maxPayload: maxPayloadBytes,
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    });
}
