import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TcpForwarder } from './tcp-forwarder.js';

/** A TCP server that greets every connection with its name. */
async function namedServer(name: string): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write(name);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** Connects through the forwarder and resolves with the greeting, i.e. which endpoint answered. */
async function greeting(port: number): Promise<{ socket: Socket; name: string }> {
  const socket = connect(port, '127.0.0.1');
  const [data] = (await once(socket, 'data')) as [Buffer];
  return { socket, name: data.toString() };
}

describe('TcpForwarder', () => {
  let forwarder: TcpForwarder;
  let port: number;
  let a: Awaited<ReturnType<typeof namedServer>>;
  let b: Awaited<ReturnType<typeof namedServer>>;

  beforeEach(async () => {
    [a, b] = await Promise.all([namedServer('a'), namedServer('b')]);
    forwarder = new TcpForwarder();
    port = await forwarder.listen();
    forwarder.addEndpoint({ id: 'a', host: '127.0.0.1', port: a.port });
    forwarder.addEndpoint({ id: 'b', host: '127.0.0.1', port: b.port });
  });
  afterEach(async () => {
    await forwarder.close();
    for (const { server, sockets } of [a, b]) {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('spreads new connections round-robin over the endpoints and counts them', async () => {
    const names = [];
    const sockets = [];
    for (let i = 0; i < 4; i++) {
      const { socket, name } = await greeting(port);
      names.push(name);
      sockets.push(socket);
    }
    // Round-robin over two endpoints alternates, whichever one it starts with.
    expect([
      ['a', 'b', 'a', 'b'],
      ['b', 'a', 'b', 'a'],
    ]).toContainEqual(names);
    expect(Object.fromEntries(forwarder.activeConnections())).toEqual({ a: 2, b: 2 });
    for (const socket of sockets) socket.destroy();
  });

  it('sends no new connection to a removed endpoint but never cuts its established ones', async () => {
    const first = await greeting(port);
    const second = await greeting(port);
    const onA = first.name === 'a' ? first.socket : second.socket;
    forwarder.removeEndpoint('a');

    const later = await Promise.all([greeting(port), greeting(port)]);
    expect(later.map((connection) => connection.name)).toEqual(['b', 'b']);
    // The connection to the removed endpoint still carries data both ways.
    const upstream = a.sockets[0]!;
    upstream.write('still here');
    const [echo] = (await once(onA, 'data')) as [Buffer];
    expect(echo.toString()).toBe('still here');
    expect(forwarder.activeConnections().get('a')).toBe(1);
    for (const connection of [first, second, ...later]) connection.socket.destroy();
  });

  it('resets a connection when no endpoint is listed, as a Service with no ready pods does', async () => {
    forwarder.removeEndpoint('a');
    forwarder.removeEndpoint('b');
    const rejected = once(forwarder, 'rejected');
    const socket = connect(port, '127.0.0.1');
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    await rejected;
    expect(error.code).toBe('ECONNRESET');
  });

  it('cuts the downstream side when the endpoint goes away, as a crashed pod does', async () => {
    const { socket, name } = await greeting(port);
    const upstream = (name === 'a' ? a : b).sockets[0]!;
    const closed = once(socket, 'close');
    upstream.destroy();
    await closed;
    await once(forwarder, 'disconnected');
    expect(forwarder.activeConnections().get(name)).toBe(0);
  });
});
