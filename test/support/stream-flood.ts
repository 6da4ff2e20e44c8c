import { FrameRecorder, ofType } from './frame-recorder.js';

/**
 * The history-flood attack: `flooder` publishes 300 entries of 60 KB (18 MB) to 300 fresh channel
 * names, within its inbound budget once the test raised it, while `normal` publishes to its own
 * channel `orders` after every 50; resolves once all were answered, having checked that each of
 * the normal publisher's six was confirmed (appended, not refused).
 */
export async function floodFreshNames(flooder: FrameRecorder, normal: FrameRecorder): Promise<void> {
  const payload = { data: 'x'.repeat(60_000) };
  for (let batch = 0; batch < 6; batch++) {
    for (let index = 1; index <= 50; index++)
      flooder.send({ type: 'publish', id: `f${batch}-${index}`, channel: `fresh.${batch}.${index}`, payload });
    for (let index = 1; index <= 50; index++) await flooder.next(ofType('published'));
    normal.send({ type: 'publish', id: `n${batch}`, channel: 'orders', payload: { qty: batch } });
    const answer = await normal.next(
      (frame) => (frame.type === 'published' || frame.type === 'error') && 'id' in frame && frame.id === `n${batch}`,
    );
    if (answer.type !== 'published' || answer.duplicate)
      throw new Error(`the normal publisher's n${batch} was not appended: ${JSON.stringify(answer)}`);
  }
}
