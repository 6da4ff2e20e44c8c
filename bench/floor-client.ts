/**
 * The client floor: `CLIENTS` plain `ws` connections to `SERVER_URL`, each acking what it gets
 * (a cumulative ack per frame), no reconnects, no outbox, no statistics. The benchmark compares
 * the client app's memory per virtual client with this.
 *
 *   SERVER_URL=ws://127.0.0.1:8080/ws CLIENTS=1000 node dist/bench/floor-client.js
 */
import WebSocket from 'ws';
import { logEvent } from '@app/contract';

const url = process.env.SERVER_URL ?? 'ws://127.0.0.1:8080/ws';
const clients = Number(process.env.CLIENTS ?? 1);
let connected = 0;
let frames = 0;

/** Says all are connected as the client app does (its `client_stats` event), so one wait serves both. */
function reportConnected(): void {
  const stats = logEvent('client_stats', {
    connected,
    clients,
    reconnects: 0,
    framesReceived: frames,
    requestsCreated: null,
    stream: null,
  });
  process.stdout.write(`${JSON.stringify({ level: 'log', message: `all ${clients} connected`, ...stats })}\n`);
}

for (let index = 0; index < clients; index++) {
  const socket = new WebSocket(url, 'graceful.v2', { perMessageDeflate: false });
  socket.once('message', () => {
    if (++connected === clients) reportConnected();
  });
  socket.on('message', (data: Buffer) => {
    frames++;
    const { seq } = JSON.parse(data.toString()) as { seq?: number };
    if (seq !== undefined) socket.send(`{"type":"ack","seq":${seq}}`);
  });
  socket.on('error', (err) => process.stderr.write(`${err.message}\n`));
}
