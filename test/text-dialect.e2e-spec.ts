import { CloseCode } from '@app/protocol';
import { FrameRecorder } from './support/frame-recorder.js';
import { ServerProcess } from '@app/standin';

describe('original text dialect (no subprotocol)', () => {
  it('streams business data, then on SIGTERM sends SHUTDOWN, the final items, CLOSE and a 1001 close frame', async () => {
    const server = await ServerProcess.start({ DATA_INTERVAL_MS: '50', FINAL_DATA_ITEMS: '2' });
    try {
      const client = await FrameRecorder.text(server.wsUrl);
      expect(client.socket.protocol).toBe('');
      expect(await client.next()).toMatch(/^Business data: \d{2}:\d{2}:\d{2}$/);
      client.send('hello from the Go client');
      await server.expectEvent('peer_text', ({ text }) => text === 'hello from the Go client');

      server.signal('SIGTERM');
      expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
      const drain = client.frames.slice(client.frames.indexOf('SHUTDOWN'));
      expect(drain).toHaveLength(4);
      expect(drain[0]).toBe('SHUTDOWN');
      expect(drain[1]).toMatch(/^Final data: \d{2}:\d{2}:\d{2} - 1$/);
      expect(drain[2]).toMatch(/^Final data: \d{2}:\d{2}:\d{2} - 2$/);
      expect(drain[3]).toBe('CLOSE');
      expect(client.frames.slice(0, -4).every((frame) => frame.startsWith('Business data: '))).toBe(true);
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      await server.stop();
    }
  });
});
