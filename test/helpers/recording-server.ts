// A local HTTP server as its own process (run with Node 24: `node recording-server.ts`),
// standing in for a developer's app behind `callback-relay listen`. It prints its
// port, records every POST, and answers `GET /__requests` with what it recorded.
// A path starting with /hang-once hangs the first time it is hit, as a server stuck mid-request.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBase64: string;
}

const recorded: Recorded[] = [];
const hung = new Set<string>();

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/__requests') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(recorded));
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    recorded.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, bodyBase64: Buffer.concat(chunks).toString('base64') });
    const url = request.url ?? '';
    if (url.startsWith('/hang-once') && !hung.has(url)) {
      hung.add(url);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok from local');
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
