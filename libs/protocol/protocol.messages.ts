import { z } from 'zod';
import { ErrorCode, MAX_REQUEST_ID_LENGTH, PROTOCOL_VERSION } from './protocol.constants.js';

const seq = z.number().int().positive();
const payload = z.record(z.string(), z.unknown());

/* Client → server */

export const requestMessageSchema = z.strictObject({
  type: z.literal('request'),
  id: z.string().min(1).max(MAX_REQUEST_ID_LENGTH),
  payload: z.looseObject({ workMs: z.number().int().nonnegative().optional() }),
});

export const ackMessageSchema = z.strictObject({
  type: z.literal('ack'),
  seq: z.number().int().nonnegative(),
});

export const clientMessageSchema = z.discriminatedUnion('type', [requestMessageSchema, ackMessageSchema]);

/* Server → client */

export const helloMessageSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  serverId: z.string(),
  sessionId: z.string(),
  heartbeatMs: z.number().int().positive(),
  maxPayload: z.number().int().positive(),
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
  deadlineMs: z.number().int().nonnegative(),
  inFlight: z.number().int().nonnegative(),
  reconnectJitterMs: z.number().int().nonnegative(),
});

export const closeMessageSchema = z.strictObject({
  type: z.literal('close'),
  lastSeq: z.number().int().nonnegative(),
});

export const errorMessageSchema = z.strictObject({
  type: z.literal('error'),
  code: z.enum(ErrorCode),
  message: z.string(),
  id: z.string().optional(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  helloMessageSchema,
  dataMessageSchema,
  resultMessageSchema,
  shutdownMessageSchema,
  closeMessageSchema,
  errorMessageSchema,
]);

export type RequestMessage = z.infer<typeof requestMessageSchema>;
export type AckMessage = z.infer<typeof ackMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type HelloMessage = z.infer<typeof helloMessageSchema>;
export type DataMessage = z.infer<typeof dataMessageSchema>;
export type ResultMessage = z.infer<typeof resultMessageSchema>;
export type ShutdownMessage = z.infer<typeof shutdownMessageSchema>;
export type CloseMessage = z.infer<typeof closeMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
