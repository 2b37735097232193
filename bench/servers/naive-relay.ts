// Baseline: the relay people write in an afternoon — an in-memory map, the push
// forwarded inline before answering, nothing durable, no retries.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const routes = new Map<string, string>();
const agent = new Agent({ connections: 64 });

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const server = createServer(async (incoming, response) => {
  const body = await readBody(incoming);
  try {
    if (incoming.url?.startsWith('/api/moderate/trace')) {
      const { trace_id: traceId, server_uri: serverUri } = JSON.parse(body.toString()) as { trace_id: string; server_uri: string };
      routes.set(traceId, serverUri);
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const { trace_id: traceId } = JSON.parse(body.toString()) as { trace_id: string };
    const target = routes.get(traceId);
    if (target) {
      const forwarded = await request(target, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
      await forwarded.body.dump();
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('success');
  } catch {
    response.writeHead(500).end();
  }
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
