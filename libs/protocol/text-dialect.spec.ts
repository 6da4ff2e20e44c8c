import {
  TEXT_CLOSE,
  TEXT_SHUTDOWN,
  classifyTextFrame,
  formatBusinessData,
  formatClock,
  formatFinalData,
} from './text-dialect.js';

describe('text dialect', () => {
  const at = new Date(2025, 8, 12, 7, 0, 2);

  it('formats the clock as zero-padded HH:MM:SS', () => {
    expect(formatClock(at)).toBe('07:00:02');
  });

  it('formats the original lines exactly', () => {
    expect(formatBusinessData(at)).toBe('Business data: 07:00:02');
    expect(formatFinalData(at, 1)).toBe('Final data: 07:00:02 - 1');
    expect(TEXT_SHUTDOWN).toBe('SHUTDOWN');
    expect(TEXT_CLOSE).toBe('CLOSE');
  });

  it('classifies what a client receives', () => {
    expect(classifyTextFrame('SHUTDOWN')).toBe('shutdown');
    expect(classifyTextFrame('CLOSE')).toBe('close');
    expect(classifyTextFrame(formatBusinessData(at))).toBe('business');
    expect(classifyTextFrame(formatFinalData(at, 2))).toBe('final');
    expect(classifyTextFrame('close')).toBe('other');
  });
});
