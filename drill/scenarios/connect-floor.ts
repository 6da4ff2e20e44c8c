import { SUBPROTOCOL } from '@app/protocol';
import WebSocket from 'ws';
import { summarizeGaps, type GapSummary } from '@app/contract';

/**
 * The floor of any reconnect gap on this machine, now: fresh WebSocket → `hello` through the
 * Service, one connection at a time. Reconnect gaps are reported as a ratio to it.
 */
export async function measureConnectFloor(serviceUrl: string, samples = 20): Promise<GapSummary> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const socket = new WebSocket(serviceUrl, SUBPROTOCOL, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('message', () => resolve());
      socket.once('error', reject);
    });
    times.push(Math.round(performance.now() - started));
    socket.terminate();
  }
  return summarizeGaps(times);
}
