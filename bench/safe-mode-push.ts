/**
 * Latency of safe-mode pushes against a running relay: time to WeChat's `success`
 * (verify, decrypt, durable write) and to the registered server's receipt.
 * Usage: node bench/safe-mode-push.ts <relay-url> <count>   (RELAY_CONFIG names the app)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { loadConfig } from '../src/config/load-config.ts';
import { formatEvent, mediaCheckEvent } from '../src/simulator/sample-events.ts';
import { buildSimulatedPush, sendSimulatedPush } from '../src/simulator/simulated-push.ts';

const [relayUrl = 'http://127.0.0.1:9000', countText = '200'] = process.argv.slice(2);
const app = loadConfig(process.env).apps[0];
if (!app?.encodingAesKey) throw new Error('RELAY_CONFIG must name an app with an EncodingAESKey');
const arrived = new Map<string, number>();
const server = createServer((req, res) => {
  req.resume().on('end', () => {
    arrived.set(String(req.headers['x-relay-trace-id']), performance.now());
    res.end('ok');
  });
}).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const sink = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const ack: number[] = [];
const forward: number[] = [];
const run = `bench-${Date.now()}`;
for (let i = 0; i < Number(countText); i += 1) {
  const traceId = `${run}-${i}`;
  await request(`${relayUrl}/api/moderate/trace`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trace_id: traceId, server_uri: `${sink}/r`, app_id: app.appId }) }).then((r) => r.body.text());
  const push = buildSimulatedPush({ ...app, mode: 'safe', message: formatEvent(app.format ?? 'json', mediaCheckEvent({ appId: app.appId, traceId })) });
  const started = performance.now();
  const answer = await sendSimulatedPush(`${relayUrl}/api/wechat/${app.appId}`, push);
  if (answer.text !== 'success') throw new Error(`push ${i}: ${answer.status} ${answer.text}`);
  ack.push(performance.now() - started);
  while (!arrived.has(traceId)) await new Promise((resolve) => setTimeout(resolve, 1));
  forward.push(arrived.get(traceId)! - started);
}
const pct = (values: number[], p: number) => values.toSorted((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!.toFixed(1);
console.log(`${ack.length} safe-mode pushes: ack p50 ${pct(ack, 0.5)} ms p99 ${pct(ack, 0.99)} ms; forwarded p50 ${pct(forward, 0.5)} ms p99 ${pct(forward, 0.99)} ms`);
server.close();
