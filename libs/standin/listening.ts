import { SERVER_LISTENING } from '@app/contract';
import type { ChildProgram } from './node-process.js';

/** Resolves with the port a server process listens on once it says so; rejects if it exits first. */
export async function listeningPort(server: ChildProgram): Promise<number> {
  return Number((await server.expectLine(SERVER_LISTENING))[1]);
}
