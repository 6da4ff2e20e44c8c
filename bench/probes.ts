import { readdirSync, readFileSync } from 'node:fs';
import { SUBPROTOCOL } from '@app/protocol';
import WebSocket from 'ws';

/**
 * CPU time a process has used, in ms: how long each of its threads has run, in ns
 * (`/proc/<pid>/task/<tid>/schedstat`). Not utime + stime from `/proc/<pid>/stat`: those count
 * clock ticks (10 ms here), which quantised the CPU of 1 000 accepts to about ±4 %. A thread that
 * exits between two readings would take its time with it; Node's threads (the libuv pool, V8's
 * platform threads) live as long as the process.
 */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended after the listing: its time left with it, as above.
    }
  }
  return ns / 1e6;
}

/**
 * Resolves once a process has gone quiet: under `idleShare` of a CPU used over `windowMs`. A CPU
 * measurement begun while the process still works through what came before (its start-up, the
 * close of the previous round's 1 000 sockets) counts that work too, a share that varied from
 * run to run by more than the differences measured.
 */
export async function quiet(pid: number, { windowMs = 100, idleShare = 0.02, giveUpMs = 30_000 } = {}): Promise<void> {
  const deadline = performance.now() + giveUpMs;
  while (performance.now() < deadline) {
    const before = cpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if (cpuMs(pid) - before < windowMs * idleShare) return;
  }
  throw new Error(`process ${pid} never went quiet (${idleShare * 100} % of a CPU over ${windowMs} ms) within ${giveUpMs} ms`);
}

/** Resident set of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows). */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'));
  const [names, values] = lines.map((line) => line.split(/\s+/));
  return Number(values?.[names?.indexOf('ListenOverflows') ?? -1] ?? Number.NaN);
}

/** The fields of a server frame the benchmarks read. */
export interface BenchFrame {
  type: string;
  seq?: number;
  lastSeq?: number;
  reconnectJitterMs?: number;
  offset?: number;
  payload?: { sentAt: number };
}

/**
 * A client connection as the fleet keeps one, reduced to what the benchmark times: resolves
 * `hello` when it arrives, acks the close marker at once, and records how the connection ended
 * and whether any sequence number was skipped. `onFrame` sees every frame, parsed once.
 */
export class BenchConnection {
  readonly socket: WebSocket;
  readonly hello: Promise<number>;
  readonly closed: Promise<{ code: number; at: number }>;
  /** The highest sequence number received. */
  lastSeq = 0;
  seqGaps = 0;
  /** The drain notice: when it came and the window it advised spreading the reconnect over. */
  notice: { at: number; jitterMs: number } | undefined;

  constructor(url: string, onFrame?: (frame: BenchFrame) => void) {
    this.socket = new WebSocket(url, SUBPROTOCOL, { perMessageDeflate: false });
    this.hello = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
      this.socket.once('message', () => resolve(performance.now()));
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve({ code, at: performance.now() })));
    this.socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as BenchFrame;
      if (frame.seq !== undefined) {
        if (frame.seq !== this.lastSeq + 1) this.seqGaps++;
        this.lastSeq = frame.seq;
      }
      if (frame.type === 'shutdown') this.notice = { at: performance.now(), jitterMs: frame.reconnectJitterMs ?? 0 };
      if (frame.type === 'close') this.socket.send(JSON.stringify({ type: 'ack', seq: frame.lastSeq }));
      onFrame?.(frame);
    });
    // Failures are counted through `hello`; the socket's later errors need no handler of their own.
    this.socket.on('error', () => undefined);
  }
}

/** Opens `count` connections in batches (so the accept queue is not what is measured), each up to its `hello`. */
export async function openConnections(
  url: string,
  count: number,
  onProgress: (open: number) => void,
  batch = 200,
): Promise<BenchConnection[]> {
  const open: BenchConnection[] = [];
  while (open.length < count) {
    const next = Array.from({ length: Math.min(batch, count - open.length) }, () => new BenchConnection(url));
    await Promise.all(next.map((connection) => connection.hello));
    open.push(...next);
    onProgress(open.length);
  }
  return open;
}

/**
 * A process's V8 heap in use after a full garbage collection, asked through its inspector (the
 * process runs with `--inspect=127.0.0.1:0`): the same probe for any Node program, no code of
 * its own needed, and a figure GC timing does not blur the way it blurs RSS.
 */
export async function heapUsedAfterGc(inspectorUrl: string): Promise<number> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}): Promise<{ result?: { result?: { value?: unknown } } }> =>
    new Promise((resolve) => {
      const callId = ++id;
      const onMessage = (data: Buffer): void => {
        const reply = JSON.parse(data.toString()) as { id?: number };
        if (reply.id !== callId) return;
        socket.off('message', onMessage);
        resolve(reply as { result?: { result?: { value?: unknown } } });
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id: callId, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return Number(reply.result?.result?.value);
  } finally {
    socket.close();
  }
}
