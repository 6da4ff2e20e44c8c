/**
 * The floor the benchmark measures the product against: the same `graceful.v2` frames on the
 * wire — hello, a data item at once and one per interval, results, cumulative acks, heartbeat
 * pings, shared channels held in memory (subscribe, publish, live messages encoded once for
 * every subscriber; no history, no de-duplication), and on SIGTERM the whole drain sequence
 * (its marker without `channels`) — written on plain `ws` and
 * `node:http`, with none of the framework, validation, limits, metrics or logging. Not for
 * production: it trusts every frame it gets.
 *
 *   PORT=0 DATA_INTERVAL_MS=2000 FINAL_DATA_ITEMS=2 DRAIN_TIMEOUT_MS=20000 node dist/bench/floor-server.js
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_RECONNECT_RATE_PER_SEC, reconnectJitterMs } from '@app/protocol';
import { serverListeningLine } from '../libs/contract/server-listening.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PORT = env('PORT', 0);
const DATA_INTERVAL_MS = env('DATA_INTERVAL_MS', 2000);
const FINAL_DATA_ITEMS = env('FINAL_DATA_ITEMS', 2);
const DRAIN_TIMEOUT_MS = env('DRAIN_TIMEOUT_MS', 20_000);
const RECONNECT_RATE_PER_SEC = env('RECONNECT_RATE_PER_SEC', DEFAULT_RECONNECT_RATE_PER_SEC);
const HEARTBEAT_MS = 25_000;

interface Connection {
  socket: WebSocket;
  seq: number;
  inFlight: number;
  closing: boolean;
  whenIdle?: () => void;
  markerSeq?: number;
  whenAcked?: () => void;
}

const connections = new Set<Connection>();
/** Each channel's last offset and subscribers. */
const channels = new Map<string, { top: number; subscribers: Set<Connection> }>();
const channelNamed = (name: string): { top: number; subscribers: Set<Connection> } => {
  let channel = channels.get(name);
  if (!channel) channels.set(name, (channel = { top: 0, subscribers: new Set() }));
  return channel;
};
const item = (index?: number) => ({
  time: new Date().toTimeString().slice(0, 8),
  at: new Date().toISOString(),
  ...(index === undefined ? {} : { index }),
});
const sendSequenced = (c: Connection, body: Record<string, unknown>): void => c.socket.send(JSON.stringify({ ...body, seq: ++c.seq }));

const http = createServer((_request, response) => response.writeHead(404).end());
const wss = new WebSocketServer({
  server: http,
  path: '/ws',
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('graceful.v2') ? 'graceful.v2' : false),
});

wss.on('connection', (socket) => {
  const c: Connection = { socket, seq: 0, inFlight: 0, closing: false };
  connections.add(c);
  socket.send(
    JSON.stringify({
      type: 'hello',
      protocol: 2,
      serverId: 'floor',
      sessionId: String(connections.size),
      heartbeatMs: HEARTBEAT_MS,
      maxPayload: 65_536,
    }),
  );
  sendSequenced(c, { type: 'data', payload: item(), final: false });
  const feed = setInterval(() => sendSequenced(c, { type: 'data', payload: item(), final: false }), DATA_INTERVAL_MS);
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as {
      type: string;
      id?: string;
      seq?: number;
      channel?: string;
      payload?: { workMs?: number };
    };
    if (frame.type === 'ack' && c.markerSeq !== undefined && (frame.seq ?? 0) >= c.markerSeq) c.whenAcked?.();
    if (frame.type === 'subscribe') {
      const channel = channelNamed(frame.channel!);
      channel.subscribers.add(c);
      sendSequenced(c, { type: 'subscribed', channel: frame.channel, epoch: 'floor', top: channel.top, recovered: true });
    }
    if (frame.type === 'publish' && !c.closing) {
      const channel = channelNamed(frame.channel!);
      const offset = ++channel.top;
      sendSequenced(c, { type: 'published', id: frame.id, channel: frame.channel, offset, duplicate: false });
      const message = Buffer.from(
        JSON.stringify({ type: 'message', channel: frame.channel, offset, id: frame.id, payload: frame.payload }),
      );
      for (const subscriber of channel.subscribers) {
        if (!subscriber.closing) subscriber.socket.send(message, { binary: false });
      }
    }
    if (frame.type !== 'request' || c.closing) return;
    c.inFlight++;
    setTimeout(() => {
      sendSequenced(c, { type: 'result', id: frame.id, payload: { servedBy: 'floor' } });
      if (--c.inFlight === 0) c.whenIdle?.();
    }, frame.payload?.workMs ?? 0);
  });
  socket.on('close', () => {
    clearInterval(feed);
    connections.delete(c);
    for (const channel of channels.values()) channel.subscribers.delete(c);
  });
});

// One sweep for every connection's heartbeat, as a lean server would do it.
setInterval(() => {
  for (const c of connections) c.socket.ping();
}, HEARTBEAT_MS).unref();

/** The drain of one connection: notice, in-flight results, final data, marker, its ack, 1001. */
async function drain(c: Connection, deadlineAt: number, jitterMs: number): Promise<void> {
  c.socket.send(
    JSON.stringify({
      type: 'shutdown',
      reason: 'SIGTERM',
      deadlineMs: deadlineAt - Date.now(),
      inFlight: c.inFlight,
      reconnectJitterMs: jitterMs,
    }),
  );
  if (c.inFlight > 0) await new Promise<void>((resolve) => (c.whenIdle = resolve));
  c.closing = true;
  for (let index = 1; index <= FINAL_DATA_ITEMS; index++)
    sendSequenced(c, { type: 'data', payload: item(index), final: index === FINAL_DATA_ITEMS });
  c.markerSeq = c.seq;
  const acked = new Promise<void>((resolve) => (c.whenAcked = resolve));
  c.socket.send(JSON.stringify({ type: 'close', lastSeq: c.seq }));
  await acked;
  c.socket.close(1001, 'server draining');
}

process.once('SIGTERM', () => {
  const deadlineAt = Date.now() + DRAIN_TIMEOUT_MS;
  // New upgrades are refused from now on; the listener stays until every connection is done.
  wss.removeAllListeners('connection');
  wss.on('connection', (socket: WebSocket) => socket.terminate());
  const deadline = setTimeout(() => {
    for (const c of connections) c.socket.terminate();
  }, DRAIN_TIMEOUT_MS);
  const closed = [...connections].map((c) => new Promise((resolve) => c.socket.once('close', resolve)));
  // The same advice as the product's, so a client honouring it behaves alike against both.
  const jitterMs = reconnectJitterMs(connections.size, DRAIN_TIMEOUT_MS, RECONNECT_RATE_PER_SEC);
  for (const c of connections) void drain(c, deadlineAt, jitterMs);
  void Promise.all(closed).then(() => {
    clearTimeout(deadline);
    process.stdout.write(`Floor drained ${closed.length} clients\n`, () => process.exit(0));
  });
});

http.listen(PORT, () => process.stdout.write(`${serverListeningLine((http.address() as AddressInfo).port)}\n`));
