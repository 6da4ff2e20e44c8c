import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { BenchConnection } from './probes.js';

/** One fan-out subscriber, whatever the server speaks: subscribes to a channel and reports each entry. */
export interface FanOutSubscriber {
  /** Resolves once the server confirmed the subscription. */
  subscribe(channel: string): Promise<void>;
  publish(channel: string, id: string, payload: Record<string, unknown>): void;
  close(): void;
}

type OnEntry = (offset: number, payload: { sentAt: number }) => void;

/** Unacked frames a subscriber lets pile up before it acks: the library's cadence (docs/client.md). */
const ACK_INTERVAL_MS = 100;

/**
 * `graceful.v2` (the product and the raw-ws floor): a `BenchConnection` acking cumulatively every
 * `ACK_INTERVAL_MS` as `GracefulClient` does, so the server pays for acks as it does in use —
 * for the frames that carry a `seq` (channel messages have none).
 */
export async function gracefulSubscriber(url: string, onEntry: OnEntry): Promise<FanOutSubscriber> {
  let subscribed: (() => void) | undefined;
  const connection = new BenchConnection(url, (frame) => {
    if (frame.type === 'subscribed') subscribed?.();
    if (frame.type === 'message') onEntry(frame.offset!, frame.payload!);
  });
  const { socket } = connection;
  await connection.hello;
  let ackedSeq = 0;
  const acks = setInterval(() => {
    if (connection.lastSeq === ackedSeq || socket.readyState !== WebSocket.OPEN) return;
    ackedSeq = connection.lastSeq;
    socket.send(`{"type":"ack","seq":${ackedSeq}}`);
  }, ACK_INTERVAL_MS);
  return {
    subscribe: (channel) =>
      new Promise((resolve) => {
        subscribed = resolve;
        socket.send(JSON.stringify({ type: 'subscribe', channel }));
      }),
    publish: (channel, id, payload) => socket.send(JSON.stringify({ type: 'publish', id, channel, payload })),
    close: () => {
      clearInterval(acks);
      socket.terminate();
    },
  };
}

/** Socket.IO 4 (bench/socketio-server.ts): the websocket transport, as its fan-out guides use it. */
export async function socketIoSubscriber(url: string, onEntry: OnEntry): Promise<FanOutSubscriber> {
  const socket: Socket = io(url.replace(/^ws/, 'http').replace(/\/ws$/, ''), {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('message', (entry: { offset: number; payload: { sentAt: number } }) => onEntry(entry.offset, entry.payload));
  return {
    subscribe: async (channel) => {
      await socket.emitWithAck('subscribe', channel);
    },
    publish: (channel, id, payload) => socket.emit('publish', { channel, id, payload }, () => undefined),
    close: () => socket.disconnect(),
  };
}
