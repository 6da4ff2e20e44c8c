import * as z from 'zod/mini';
import { CHANNEL_PATTERN, ErrorCode, MAX_REQUEST_ID_LENGTH, PROTOCOL_VERSIONS } from './protocol.constants.js';

const seq = z.int().check(z.positive());
const payload = z.record(z.string(), z.unknown());
const channel = z.string().check(z.regex(CHANNEL_PATTERN, 'must match ^[A-Za-z0-9._:-]{1,100}$'));
const workId = z.string().check(z.minLength(1), z.maxLength(MAX_REQUEST_ID_LENGTH));
/** A channel's offsets count from 1 within one epoch; 0 means "nothing yet". */
const offset = z.int().check(z.nonnegative());
const epoch = z.string().check(z.minLength(1), z.maxLength(64));

/* Client → server */

export const requestMessageSchema = z.strictObject({
  type: z.literal('request'),
  id: workId,
  payload: z.looseObject({ workMs: z.optional(z.int().check(z.nonnegative())) }),
});

export const ackMessageSchema = z.strictObject({
  type: z.literal('ack'),
  seq: z.int().check(z.nonnegative()),
});

export const subscribeMessageSchema = z.strictObject({
  type: z.literal('subscribe'),
  channel,
  since: z.optional(z.strictObject({ epoch, offset })),
});

export const unsubscribeMessageSchema = z.strictObject({
  type: z.literal('unsubscribe'),
  channel,
});

export const publishMessageSchema = z.strictObject({
  type: z.literal('publish'),
  id: workId,
  channel,
  payload,
});

/** Application-level heartbeat: answered at once with `pong` (browsers cannot see WebSocket pings). */
export const pingMessageSchema = z.strictObject({ type: z.literal('ping') });

export const clientMessageSchema = z.discriminatedUnion('type', [
  requestMessageSchema,
  pingMessageSchema,
  ackMessageSchema,
  subscribeMessageSchema,
  unsubscribeMessageSchema,
  publishMessageSchema,
]);

/* Server → client */

export const helloMessageSchema = z.strictObject({
  type: z.literal('hello'),
  /** 2 on `graceful.v2`, 1 on `graceful.v1`. */
  protocol: z.literal(Object.values(PROTOCOL_VERSIONS)),
  serverId: z.string(),
  sessionId: z.string(),
  heartbeatMs: z.int().check(z.positive()),
  maxPayload: z.int().check(z.positive()),
  /** `MAX_IN_FLIGHT`: unanswered requests and publishes the connection takes (absent from older servers). */
  maxInFlight: z.optional(z.int().check(z.positive())),
});

export const dataMessageSchema = z.strictObject({
  type: z.literal('data'),
  seq,
  payload,
  final: z.boolean(),
});

export const resultMessageSchema = z.strictObject({
  type: z.literal('result'),
  seq,
  id: z.string(),
  payload,
});

export const shutdownMessageSchema = z.strictObject({
  type: z.literal('shutdown'),
  reason: z.string(),
  deadlineMs: z.int().check(z.nonnegative()),
  inFlight: z.int().check(z.nonnegative()),
  reconnectJitterMs: z.int().check(z.nonnegative()),
});

/** Where the server stopped sending a channel: its epoch and the last offset sent (or announced by `subscribed`). */
export const channelStopSchema = z.strictObject({ epoch, offset });

export const closeMessageSchema = z.strictObject({
  type: z.literal('close'),
  lastSeq: z.int().check(z.nonnegative()),
  /** `graceful.v2`: every channel the connection was subscribed to, and where its delivery stopped. */
  channels: z.optional(z.record(channel, channelStopSchema)),
});

export const errorMessageSchema = z.strictObject({
  type: z.literal('error'),
  code: z.enum(ErrorCode),
  message: z.string(),
  /** The request or publish the error is about. */
  id: z.optional(z.string()),
  /** The subscribe or unsubscribe the error is about. */
  channel: z.optional(z.string()),
});

export const subscribedMessageSchema = z.strictObject({
  type: z.literal('subscribed'),
  seq,
  channel,
  epoch,
  top: offset,
  recovered: z.boolean(),
});

export const streamMessageSchema = z.strictObject({
  type: z.literal('message'),
  /** `graceful.v1` only: `graceful.v2` channel messages are ordered by `offset` alone. */
  seq: z.optional(seq),
  channel,
  offset: z.int().check(z.positive()),
  id: z.string(),
  payload,
});

export const publishedMessageSchema = z.strictObject({
  type: z.literal('published'),
  seq,
  id: z.string(),
  channel,
  offset: z.int().check(z.positive()),
  duplicate: z.boolean(),
});

/**
 * The channel's live feed stopped (`live: false`: the stream backend is unreachable, entries may
 * be appended meanwhile and will follow once it is back) or is back (`live: true`: whatever was
 * appended meanwhile follows, in order, before newer entries).
 */
export const feedMessageSchema = z.strictObject({
  type: z.literal('feed'),
  seq,
  channel,
  live: z.boolean(),
});

/** The answer to a client's `ping`; no `seq` (it is not data, and may follow the drain marker). */
export const pongMessageSchema = z.strictObject({ type: z.literal('pong') });

export const serverMessageSchema = z.discriminatedUnion('type', [
  helloMessageSchema,
  pongMessageSchema,
  dataMessageSchema,
  resultMessageSchema,
  shutdownMessageSchema,
  closeMessageSchema,
  errorMessageSchema,
  subscribedMessageSchema,
  streamMessageSchema,
  publishedMessageSchema,
  feedMessageSchema,
]);

export type RequestMessage = z.infer<typeof requestMessageSchema>;
export type AckMessage = z.infer<typeof ackMessageSchema>;
export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;
export type UnsubscribeMessage = z.infer<typeof unsubscribeMessageSchema>;
export type PublishMessage = z.infer<typeof publishMessageSchema>;
export type PingMessage = z.infer<typeof pingMessageSchema>;
export type PongMessage = z.infer<typeof pongMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type HelloMessage = z.infer<typeof helloMessageSchema>;
export type DataMessage = z.infer<typeof dataMessageSchema>;
export type ResultMessage = z.infer<typeof resultMessageSchema>;
export type ShutdownMessage = z.infer<typeof shutdownMessageSchema>;
export type CloseMessage = z.infer<typeof closeMessageSchema>;
export type ChannelStop = z.infer<typeof channelStopSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type SubscribedMessage = z.infer<typeof subscribedMessageSchema>;
export type StreamMessage = z.infer<typeof streamMessageSchema>;
export type PublishedMessage = z.infer<typeof publishedMessageSchema>;
export type FeedMessage = z.infer<typeof feedMessageSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** A frame that takes the connection's next sequence number. */
export type SequencedMessage = Extract<ServerMessage, { seq: number }>;
type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;
/** A sequenced frame as its sender builds it, before the connection numbers it. */
export type SequencedBody = WithoutSeq<SequencedMessage>;
