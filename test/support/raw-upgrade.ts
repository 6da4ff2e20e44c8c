import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { SUBPROTOCOL } from '@app/protocol';
import WebSocket from 'ws';

/** The text of a WebSocket upgrade request, as a client writes it on a bare TCP socket. */
export function upgradeRequest(port: number, { path = '/ws', subprotocol }: { path?: string; subprotocol?: string } = {}): string {
  const headers = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(subprotocol ? [`Sec-WebSocket-Protocol: ${subprotocol}`] : []),
  ];
  return `${headers.join('\r\n')}\r\n\r\n`;
}

/** Resolves with the HTTP status and headers an upgrade was refused with; rejects if it is accepted. */
export function refusedUpgrade(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, SUBPROTOCOL, options);
    socket.once('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    socket.once('open', () => reject(new Error('upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

/**
 * Completes a WebSocket upgrade over a bare TCP socket and returns it paused: a peer that then
 * never reads, never answers pings and never sends a close frame — a half-dead client.
 */
export function rawUpgrade(port: number, subprotocol?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest(port, { subprotocol })));
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}
