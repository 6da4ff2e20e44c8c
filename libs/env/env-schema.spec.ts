import { z } from 'zod';
import { intVar, logLevelsFrom, oneOfVar, parseEnv, wsUrlVar } from './index.js';

const schema = z.object({
  COUNT: intVar('COUNT', 3, 1, 10),
  MODE: oneOfVar('MODE', 'fast', ['fast', 'slow']),
  URL: wsUrlVar('URL', 'ws://localhost:8080/ws'),
});

describe('environment helpers', () => {
  it('fills defaults for unset and empty variables', () => {
    expect(parseEnv(schema, { COUNT: ' ' })).toEqual({ COUNT: 3, MODE: 'fast', URL: 'ws://localhost:8080/ws' });
  });

  it('parses valid values', () => {
    expect(parseEnv(schema, { COUNT: '10', MODE: 'slow', URL: 'wss://example.test/ws' })).toEqual({
      COUNT: 10,
      MODE: 'slow',
      URL: 'wss://example.test/ws',
    });
  });

  it('lists every bad variable with what it accepts', () => {
    expect(() => parseEnv(schema, { COUNT: '1e3', MODE: 'Fast', URL: 'http://x/ws' })).toThrow(
      'Invalid configuration: COUNT must be an integer from 1 to 10 (got "1e3"); ' +
        'MODE must be one of fast, slow (got "Fast"); URL must be a ws:// or wss:// URL (got "http://x/ws")',
    );
  });

  it('maps a log level to itself and every more severe level', () => {
    expect(logLevelsFrom('log')).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(logLevelsFrom('error')).toEqual(['fatal', 'error']);
  });
});
