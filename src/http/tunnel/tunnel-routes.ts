import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RelayError } from '../../errors/relay-error.ts';
import { MAX_CLIENT_FRAME_BYTES } from '../../tunnel/tunnel-protocol.ts';
import type { TunnelHub } from '../../tunnel/tunnel-hub.ts';
import { TUNNEL_NAME_PATTERN } from '../../destination/tunnel-uri.ts';

export interface TunnelRouteOptions {
  hub: TunnelHub;
  access: (request: FastifyRequest, name: string) => void;
  /** Only an instance that runs the delivery worker can carry a tunnel's deliveries. */
  hasWorker: boolean;
}

type TunnelRequest = FastifyRequest<{ Params: { name: string } }>;

/**
 * `GET /api/tunnel/<name>` (WebSocket): where `callback-relay listen` connects.
 * Name and key are checked in onRequest, so a refused listener gets a plain 4xx
 * answer and the socket is never upgraded: nothing is ever sent to it.
 */
export async function registerTunnelRoutes(app: FastifyInstance, options: TunnelRouteOptions): Promise<void> {
  await app.register(websocket, { options: { maxPayload: MAX_CLIENT_FRAME_BYTES } });
  app.route({
    method: 'GET',
    url: '/api/tunnel/:name',
    onRequest: async (request: TunnelRequest) => {
      const { name } = request.params;
      if (!TUNNEL_NAME_PATTERN.test(name)) throw new RelayError('INVALID_TUNNEL_NAME', 'the tunnel name must be 1 to 63 of a-z, 0-9 and -');
      options.access(request, name);
      if (!options.hasWorker) throw new RelayError('NOT_FOUND', 'this instance does not run the delivery worker (RELAY_ROLES): connect listen to one that does');
    },
    handler: async () => {
      throw new RelayError('UPGRADE_REQUIRED', 'connect with WebSocket: callback-relay listen --relay <url> --name <name>', { upgrade: 'websocket' });
    },
    wsHandler: (socket, request: TunnelRequest) => {
      options.hub.attach(request.params.name, socket, request.socket.remoteAddress ?? '');
    },
  });
}
