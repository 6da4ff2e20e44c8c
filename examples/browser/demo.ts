import { DemoCluster } from './demo-cluster.js';

/**
 * `npm run demo`: the stand-in cluster and the example page. Keys: r rolls every pod, k kills
 * one, q quits (the page has the same buttons).
 */
const port = Number(process.env.DEMO_PORT ?? 8090);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`DEMO_PORT must be a port number (got "${process.env.DEMO_PORT}")`);
  process.exit(2);
}
console.log('Starting 2 server pods behind a stand-in Service…');
const demo = await DemoCluster.start({ port }, (line) => console.log(line)).catch((err: unknown) => {
  // Nothing is left running (DemoCluster.start cleans up): one line, not a stack.
  console.error(
    `The demo could not start: ${err instanceof Error ? err.message : String(err)}${port === 8090 ? ' (another port: DEMO_PORT=…)' : ''}`,
  );
  process.exit(1);
});
console.log(`\nOpen ${demo.pageUrl}\n  WebSocket Service: ${demo.config.wsUrl}\n  stream backend: ${demo.config.backend}`);
console.log('Keys: r = rolling update, k = SIGKILL a pod, q = quit\n');

let stopping = false;
const quit = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the cluster…');
  await demo.stop();
  process.exit(0);
};
process.on('SIGINT', () => void quit());
process.on('SIGTERM', () => void quit());
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (key: string) => {
    if (key === 'r') void demo.roll();
    else if (key === 'k') void demo.kill();
    else if (key === 'q' || key === '\u0003') void quit();
  });
}
