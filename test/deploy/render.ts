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

export const KUBECTL_MISSING = 'kubectl is required to render kustomize/ (it bundles kustomize); install kubectl and run the tests again';

/**
 * Renders a kustomization with `kubectl kustomize` and parses every document. Fails loudly, with
 * `KUBECTL_MISSING`, when kubectl is not on PATH: these checks must never be skipped silently.
 */
export function render(path: string, kubectl = 'kubectl'): K8sObject[] {
  let yaml: string;
  try {
    yaml = execFileSync(kubectl, ['kustomize', path], { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING, { cause: err });
    throw err;
  }
  return parseAllDocuments(yaml).map((doc) => doc.toJS() as K8sObject);
}

export function find<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered output`);
  return found as T;
}
