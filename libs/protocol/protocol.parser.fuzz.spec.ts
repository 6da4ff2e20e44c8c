import fc from 'fast-check';
import { CHANNEL_PATTERN, ErrorCode, MAX_REQUEST_ID_LENGTH } from './protocol.constants.js';
import { clientMessageSchema } from './protocol.messages.js';
import { parseClientFrame, parseServerFrame } from './protocol.parser.js';

const PEER_ERROR_CODES: string[] = [ErrorCode.BAD_JSON, ErrorCode.BAD_MESSAGE, ErrorCode.UNKNOWN_TYPE];

/** Frames shaped like the protocol's, with every field free to be wrong. */
const nearlyValidFrame = fc
  .record(
    {
      type: fc.oneof(
        fc.constantFrom('request', 'ack', 'subscribe', 'unsubscribe', 'publish', 'hello', '__proto__', 'constructor'),
        fc.string(),
      ),
      id: fc.oneof(fc.string({ maxLength: MAX_REQUEST_ID_LENGTH + 2 }), fc.integer(), fc.constant(null)),
      seq: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(-1)),
      payload: fc.oneof(
        fc.object(),
        fc.constant(null),
        fc.array(fc.anything()),
        fc.record({ workMs: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
      ),
      channel: fc.oneof(fc.stringMatching(CHANNEL_PATTERN), fc.string({ maxLength: 300 })),
      from: fc.oneof(fc.integer(), fc.double(), fc.string()),
      epoch: fc.string(),
    },
    { requiredKeys: [] },
  )
  .map((frame) => JSON.stringify(frame));

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2000 }),
  fc.json({ maxDepth: 6 }),
  nearlyValidFrame,
  nearlyValidFrame.map((text) => text.slice(0, Math.max(0, text.length - 1))),
);

describe('frame parsers under arbitrary input (property-based)', () => {
  it('parseClientFrame never throws: a valid client message, or one of the documented error codes', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseClientFrame(text);
        if (result.ok) {
          expect(clientMessageSchema.safeParse(result.message).success).toBe(true);
        } else {
          expect(PEER_ERROR_CODES).toContain(result.error.code);
          expect(typeof result.error.message).toBe('string');
          // Whatever comes back to the peer stays bounded, however long its frame was.
          expect(result.error.message.length).toBeLessThan(300);
          if (result.error.id !== undefined) expect(result.error.id.length).toBeLessThanOrEqual(MAX_REQUEST_ID_LENGTH);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('parseServerFrame never throws either', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseServerFrame(text);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
