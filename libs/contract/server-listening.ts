/**
 * The line a server prints once it listens — the product, and the bench's floor and Socket.IO
 * peer alike: `Server starting on :PORT`. Whoever starts one (the drill's pods, the bench, the
 * tests) learns its port from it, through `listeningPort` in `@app/standin`.
 */
export function serverListeningLine(port: number): string {
  return `Server starting on :${port}`;
}

/** Matches `serverListeningLine`, anywhere in a log line (JSON or text); group 1 is the port. */
export const SERVER_LISTENING = /Server starting on :(\d+)/;
