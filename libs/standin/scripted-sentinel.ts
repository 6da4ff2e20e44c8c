import { EventEmitter, once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ScriptedSentinelEvents {
  /** A client subscribed to `+switch-master` (a failover detector listening). */
  subscribed: [];
  /** The last subscribed client went away. */
  unsubscribed: [];
  /** A client asked for the master's address while answers are held. */
  held: [];
}

/**
 * A Redis Sentinel whose timing a test decides: it names one master, answers
 * `SENTINEL get-master-addr-by-name` (or holds the answer until `release()`), and announces a
 * failover to `+switch-master` subscribers when told to. Real sentinels decide for themselves
 * when they answer and announce, which cannot line a race up; this one speaks just enough of
 * the protocol (RESP2: `HELLO` is refused as by a Redis before 6) for a client library's
 * Sentinel support. Every other command is answered with an error.
 */
export class ScriptedSentinel extends EventEmitter<ScriptedSentinelEvents> {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly subscribers = new Set<Socket>();
  private heldAnswers: (() => void)[] | undefined;

  private constructor(
    readonly masterName: string,
    private master: { host: string; port: number },
  ) {
    super();
    this.server = createServer((socket) => this.serve(socket));
  }

  static async start(masterName: string, master: { host: string; port: number }): Promise<ScriptedSentinel> {
    const sentinel = new ScriptedSentinel(masterName, master);
    await new Promise<void>((resolve, reject) => {
      sentinel.server.once('error', reject);
      sentinel.server.listen(0, '127.0.0.1', () => resolve());
    });
    return sentinel;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: (this.server.address() as AddressInfo).port };
  }

  /** Resolves once no client is subscribed to `+switch-master` (at once if none is). */
  async whenNoSubscribers(): Promise<void> {
    if (this.subscribers.size > 0) await once(this, 'unsubscribed');
  }

  /** From now on, the master's address is answered only at `release()`. */
  hold(): void {
    this.heldAnswers ??= [];
  }

  /** Sends every held answer, and answers at once again. */
  release(): void {
    const held = this.heldAnswers ?? [];
    this.heldAnswers = undefined;
    for (const answer of held) answer();
  }

  /** Names `master` from now on and tells every subscriber, as Sentinel does after a failover. */
  announceSwitch(master: { host: string; port: number }): void {
    const old = this.master;
    this.master = master;
    const text = `${this.masterName} ${old.host} ${old.port} ${master.host} ${master.port}`;
    for (const socket of this.subscribers) socket.write(array([bulk('message'), bulk('+switch-master'), bulk(text)]));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.subscribers.delete(socket) && this.subscribers.size === 0) this.emit('unsubscribed');
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      try {
        for (let command = readCommand(pending); command; command = readCommand(pending)) {
          pending = pending.subarray(command.end);
          this.answer(socket, command.args);
        }
      } catch (err) {
        socket.end(`-ERR ${(err as Error).message}\r\n`);
      }
    });
  }

  private answer(socket: Socket, [name = '', what = '']: string[]): void {
    const verb = name.toLowerCase();
    if (verb === 'client') {
      socket.write('+OK\r\n');
    } else if (verb === 'subscribe' && what === '+switch-master') {
      this.subscribers.add(socket);
      socket.write(array([bulk('subscribe'), bulk(what), ':1\r\n']));
      this.emit('subscribed');
    } else if (verb === 'sentinel' && what.toLowerCase() === 'get-master-addr-by-name') {
      const answer = (): boolean => socket.write(array([bulk(this.master.host), bulk(String(this.master.port))]));
      if (!this.heldAnswers) answer();
      else {
        this.heldAnswers.push(answer);
        this.emit('held');
      }
    } else if (verb === 'sentinel' && what.toLowerCase() === 'sentinels') {
      socket.write('*0\r\n');
    } else {
      socket.write(`-ERR unknown command '${name}'\r\n`);
    }
  }
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

function array(items: string[]): string {
  return `*${items.length}\r\n${items.join('')}`;
}

/** The first command in `buffer` (a RESP array of bulk strings, as clients send them), if it is all there. */
function readCommand(buffer: Buffer): { args: string[]; end: number } | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const text = buffer.toString('latin1', at, end);
    at = end + 2;
    return text;
  };
  const head = line();
  if (head === undefined) return undefined;
  if (!head.startsWith('*')) throw new Error(`not a RESP array: ${head.slice(0, 40)}`);
  const args: string[] = [];
  for (let count = Number(head.slice(1)); args.length < count;) {
    const size = line();
    if (size === undefined) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < at + length + 2) return undefined;
    args.push(buffer.toString('utf8', at, at + length));
    at += length + 2;
  }
  return { args, end: at };
}
