import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WS_PATH, pickSubprotocol } from '@app/protocol';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { SessionRegistry } from '../session/session-registry.service.js';
import { AdmissionService } from './admission.service.js';

/**
 * Chooses the dialect by subprotocol: the newest JSON version the client offers (`graceful.v2`,
 * then `graceful.v1`), otherwise no subprotocol at all, which is what the original Go client
 * expects.
 */
export function selectSubprotocol(offered: Set<string>): string | false {
  return pickSubprotocol(offered) ?? false;
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
