import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, as far as these tests read it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

/** Fails loudly when kubectl is missing: these checks must never be skipped silently. */
export function requireKubectl(): void {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    throw new Error('kubectl is required to render kustomize/ (it bundles kustomize); install kubectl and run the tests again');
  }
}

/** Renders a kustomization with `kubectl kustomize` and parses every document. */
export function render(path: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', path], { encoding: 'utf8' });
  return parseAllDocuments(yaml).map((doc) => doc.toJS() as K8sObject);
}

export function find<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered output`);
  return found as T;
}
