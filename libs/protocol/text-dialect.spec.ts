import { classifyTextFrame, formatBusinessData, formatClock, formatFinalData } from './text-dialect.js';

describe('text dialect', () => {
  const at = new Date(2025, 8, 12, 7, 0, 2);

  it('formats the clock as zero-padded HH:MM:SS', () => {
    expect(formatClock(at)).toBe('07:00:02');
  });

  it('formats the original lines exactly', () => {
    expect(formatBusinessData(at)).toBe('Business data: 07:00:02');
    expect(formatFinalData(at, 1)).toBe('Final data: 07:00:02 - 1');
  });

  it('classifies what a client receives; the markers are the exact texts the Go client looks for', () => {
    expect(classifyTextFrame('SHUTDOWN')).toBe('shutdown');
    expect(classifyTextFrame('CLOSE')).toBe('close');
    expect(classifyTextFrame('Shutdown')).toBe('other');
    expect(classifyTextFrame(formatBusinessData(at))).toBe('business');
    expect(classifyTextFrame(formatFinalData(at, 2))).toBe('final');
    expect(classifyTextFrame('close')).toBe('other');
  });
});
