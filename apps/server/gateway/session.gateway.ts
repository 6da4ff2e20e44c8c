import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { SUBPROTOCOL, WS_PATH } from '@app/protocol';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { SessionRegistry } from '../session/session-registry.service.js';
import { AdmissionService } from './admission.service.js';

/**
 * Chooses the dialect by subprotocol: `graceful.v1` when the client offers it, otherwise no
 * subprotocol at all, which is what the original Go client expects.
 */
export function selectSubprotocol(offered: Set<string>): string | false {
  return offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false;
}

/** Accepts connections on `/ws` (admitted by `AdmissionService`) and hands each one to the registry; sessions do the work. */
@WebSocketGateway({ path: WS_PATH, handleProtocols: selectSubprotocol })
export class SessionGateway implements OnGatewayConnection<WebSocket> {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly admission: AdmissionService,
  ) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    this.registry.open(socket, request, this.admission.subjectOf(request));
  }
}
