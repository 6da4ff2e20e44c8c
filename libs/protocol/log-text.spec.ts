import { loggable } from './log-text.js';

describe('loggable', () => {
  it('leaves ordinary text alone', () => {
    expect(loggable('Client message: 12:00:01 — ok ✓')).toBe('Client message: 12:00:01 — ok ✓');
  });

  it('escapes what could split a line, colour a terminal or reorder text', () => {
    expect(loggable('a\nb\r\x1b[31mred\x00\u2028\u202e')).toBe('a\\u000ab\\u000d\\u001b[31mred\\u0000\\u2028\\u202e');
  });

  it('cuts long text and says how long it was', () => {
    expect(loggable('x'.repeat(1000), 10)).toBe('xxxxxxxxxx… (1000 chars)');
  });

  it('replaces a surrogate half left by the cut', () => {
    expect(loggable('ab😀', 3)).toBe('ab\ufffd… (4 chars)');
  });
});
