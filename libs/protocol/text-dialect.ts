/**
 * The original program's text dialect (no subprotocol). The original Go client looks for the
 * exact texts `SHUTDOWN` and `CLOSE`; the other lines are for people reading its log.
 */
export const TEXT_SHUTDOWN = 'SHUTDOWN';
export const TEXT_CLOSE = 'CLOSE';

const BUSINESS_PREFIX = 'Business data: ';
const FINAL_PREFIX = 'Final data: ';

/** `HH:MM:SS` in the process's local time zone, as Go's `time.Now().Format("15:04:05")`. */
export function formatClock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function formatBusinessData(at: Date): string {
  return `${BUSINESS_PREFIX}${formatClock(at)}`;
}

/** `index` counts from 1, as in the original `Final data: 07:00:12 - 1`. */
export function formatFinalData(at: Date, index: number): string {
  return `${FINAL_PREFIX}${formatClock(at)} - ${index}`;
}

export type TextFrameKind = 'business' | 'final' | 'shutdown' | 'close' | 'other';

/** What a text frame from the server means to a client. */
export function classifyTextFrame(text: string): TextFrameKind {
  if (text === TEXT_SHUTDOWN) return 'shutdown';
  if (text === TEXT_CLOSE) return 'close';
  if (text.startsWith(BUSINESS_PREFIX)) return 'business';
  if (text.startsWith(FINAL_PREFIX)) return 'final';
  return 'other';
}
