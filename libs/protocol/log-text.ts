/** Longest peer-supplied text quoted in a log line, so that no peer can flood the log. */
export const LOGGED_TEXT_LIMIT = 200;

// C0 and C1 controls, DEL, line/paragraph separators and bidi overrides: anything that could
// break a log line in two, colour a terminal, or make a line read differently than it is.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a peer made safe to log on one line: at most `limit` characters (the full length
 * noted when cut), control characters escaped as `\uXXXX`, lone surrogates replaced.
 */
export function loggable(text: string, limit = LOGGED_TEXT_LIMIT): string {
  const cut = text.length > limit;
  const shown = (cut ? text.slice(0, limit) : text)
    .toWellFormed()
    .replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut ? `${shown}… (${text.length} chars)` : shown;
}
