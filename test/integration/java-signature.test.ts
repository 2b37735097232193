import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer, type ReceivedRequest } from '../helpers/business-server.ts';
import { push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckXml } from '../helpers/wechat-signer.ts';

const VERIFIER = fileURLToPath(new URL('../../docs/java/RelaySignature.java', import.meta.url));
const hasJava = await new Promise<boolean>((resolve) => execFile('java', ['-version'], (error) => resolve(!error)));
if (!hasJava) console.warn('!!! java not found: the Java signature verifier of docs/java is NOT tested (install a JDK 11 or later)');

/** Runs the guide's Java verifier (single-file source launch) on a request as the business server received it. */
function javaVerifies(secret: string, request: ReceivedRequest, body: Buffer, dir: string): Promise<string> {
  const bodyFile = join(dir, `body-${randomBytes(4).toString('hex')}`);
  writeFileSync(bodyFile, body);
  const header = (name: string) => String(request.headers[name]);
  return new Promise((resolve) => execFile('java', [VERIFIER, secret, header('webhook-id'), header('webhook-timestamp'), header('webhook-signature'), bodyFile], (_error, stdout) => resolve(stdout.trim())));
}

/** The Spring Boot guide's verifier, in Java, checks a real forward of the relay, and refuses a changed one. */
describe.runIf(hasJava)('the Java signature verifier of the Spring Boot guide', { timeout: 60_000 }, () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let relay: TestRelay;
  let business: BusinessServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-java-'));
    relay = await startRelay({ RELAY_SIGNING_SECRET: secret });
    business = await BusinessServer.start(() => 200);
  });
  afterAll(async () => {
    await relay.close();
    await business.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the forward as received and refuses it with one byte changed, or with another secret', async () => {
    await register(relay, { trace_id: 'java-1', server_uri: `${business.url}/wx` });
    // XML, with characters beyond ASCII: the signature is over bytes, not text.
    await push(relay, mediaCheckXml('java-1', 'risky').replace('<MsgType>', '<!-- 审核 --><MsgType>'), {}, '/api/wechat', 'text/xml');
    await waitFor(() => business.requests.length === 1, { what: 'the forward' });
    const [request] = business.requests;
    expect(await javaVerifies(secret, request!, request!.body, dir)).toBe('valid');
    const changed = Buffer.from(request!.body);
    changed.writeUInt8(changed.readUInt8(changed.length - 2) ^ 1, changed.length - 2);
    expect(await javaVerifies(secret, request!, changed, dir)).toBe('invalid');
    expect(await javaVerifies(`whsec_${randomBytes(32).toString('base64')}`, request!, request!.body, dir)).toBe('invalid');
  });
});
