import { spawnSync } from 'node:child_process';

/** `make -n` prints what a target would run, without a cluster or a Docker engine. */
function dryRun(...args: string[]): string {
  const result = spawnSync('make', ['-n', '--no-print-directory', ...args], { encoding: 'utf8' });
  if (result.error) throw new Error(`make is required for these tests: ${result.error.message}`);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.trim();
}

describe('Makefile', () => {
  it.each([
    [['build'], 'docker build -t k8s-graceful-shutdown:dev .'],
    [['build', 'IMAGE=ghcr.io/acme/app', 'TAG=1.2.3'], 'docker build -t ghcr.io/acme/app:1.2.3 .'],
    [['run-server'], 'docker run --rm -p 8080:8080 k8s-graceful-shutdown:dev'],
    [
      ['run-client'],
      'docker run --rm -e SERVER_URL=ws://host.docker.internal:8080/ws k8s-graceful-shutdown:dev node dist/apps/client/main.js',
    ],
    [['k8s-apply'], 'kubectl apply -k kustomize/overlays/dev'],
    [['k8s-apply', 'OVERLAY=prod'], 'kubectl apply -k kustomize/overlays/prod'],
    [['k8s-delete'], 'kubectl delete -k kustomize/overlays/dev --ignore-not-found'],
    [['k8s-restart'], 'kubectl -n k8s-graceful-shutdown-test rollout restart deployment/server-deployment deployment/client-deployment'],
    [['k8s-list-pods'], 'kubectl -n k8s-graceful-shutdown-test get pods -o wide'],
    [
      ['k8s-delete-pod', 'POD_NAME=server-deployment-7b74b95bb6-gz86f'],
      'kubectl -n k8s-graceful-shutdown-test delete pod server-deployment-7b74b95bb6-gz86f',
    ],
    [['k8s-logs-server'], 'kubectl -n k8s-graceful-shutdown-test logs -f -l app=server --prefix --max-log-requests 20'],
    [['k8s-logs-client'], 'kubectl -n k8s-graceful-shutdown-test logs -f -l app=client --prefix'],
    [['drill'], 'npm run drill'],
    [['test'], 'npm run test:all'],
  ])('make %j runs the expected command', (args, command) => {
    expect(dryRun(...args)).toBe(command);
  });

  it('k8s-delete-pod without POD_NAME lists the pods, prints the usage and fails', () => {
    const result = spawnSync('make', ['--no-print-directory', 'k8s-delete-pod', 'KUBECTL=echo kubectl'], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('kubectl -n k8s-graceful-shutdown-test get pods');
    expect(result.stderr).toContain('Usage: make k8s-delete-pod POD_NAME=<pod name from the list above>');
  });
});
