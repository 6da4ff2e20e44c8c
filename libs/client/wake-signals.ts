import { EMPTY, Observable } from 'rxjs';

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * In a browser: emits when the network comes back (`online`) or the page becomes visible again
 * — moments when a client waiting to reconnect should try at once, and one that is connected
 * should check its connection. Elsewhere: never.
 */
export function browserWakeSignals(): Observable<string> {
  const scope = globalThis as { window?: EventTargetLike; document?: EventTargetLike & { visibilityState?: string } };
  const { window, document } = scope;
  if (!window || !document) return EMPTY;
  return new Observable<string>((subscriber) => {
    const online = (): void => subscriber.next('network back online');
    const visible = (): void => {
      if (document.visibilityState === 'visible') subscriber.next('page visible again');
    };
    window.addEventListener('online', online);
    document.addEventListener('visibilitychange', visible);
    return () => {
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visible);
    };
  });
}
