/**
 * The peer users would otherwise pick, for the fan-out comparison: Socket.IO 4 as its docs set
 * it up for a broadcast — websocket transport only, no compression, no adapter (one process),
 * a room per channel. `subscribe` joins the room; `publish` numbers the entry, broadcasts it to
 * the room, and acknowledges it to the publisher. It keeps no history: what it sends is the
 * floor of what a Socket.IO service does, not more.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serverListeningLine } from '../libs/contract/server-listening.js';

interface Publish {
  channel: string;
  id: string;
  payload: Record<string, unknown>;
}

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
const offsets = new Map<string, number>();

io.on('connection', (socket) => {
  socket.on('subscribe', (channel: string, ack: (answer: { channel: string }) => void) => {
    void socket.join(channel);
    ack({ channel });
  });
  socket.on('publish', ({ channel, id, payload }: Publish, ack: (answer: { offset: number }) => void) => {
    const offset = (offsets.get(channel) ?? 0) + 1;
    offsets.set(channel, offset);
    io.to(channel).emit('message', { channel, offset, id, payload });
    ack({ offset });
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(serverListeningLine((http.address() as AddressInfo).port));
});
process.on('SIGTERM', () => process.exit(0));
