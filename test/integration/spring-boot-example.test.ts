import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessServer, type ReceivedRequest } from '../helpers/business-server.ts';
import { getTrace, push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckXml } from '../helpers/wechat-signer.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/spring-boot-receiver/', import.meta.url));
const MAIN = join(EXAMPLE, 'src/main/java/com/example/moderation');
const VERIFIER = join(MAIN, 'RelaySignature.java');
const hasJava = await new Promise<boolean>((resolve) => execFile('javac', ['-version'], (error) => resolve(!error)));
if (!hasJava) {
  if (process.env.CI === 'true') throw new Error('javac not found: the Spring Boot example must be compiled and run under CI=true (install a JDK 17 or later)');
  console.warn('!!! javac not found: the Spring Boot example of examples/spring-boot-receiver is NOT tested (install a JDK 17 or later)');
}

/** Runs the guide's Java verifier (single-file source launch) on a request as the business server received it. */
function javaVerifies(secret: string, request: ReceivedRequest, body: Buffer, dir: string): Promise<string> {
  const bodyFile = join(dir, `body-${randomBytes(4).toString('hex')}`);
  writeFileSync(bodyFile, body);
  const header = (name: string) => String(request.headers[name]);
  return new Promise((resolve) => execFile('java', [VERIFIER, secret, header('webhook-id'), header('webhook-timestamp'), header('webhook-signature'), bodyFile], (_error, stdout) => resolve(stdout.trim())));
}

/** The example's verifier, in Java, checks a real forward of the relay, and refuses a changed one. */
describe.runIf(hasJava)('the Java signature verifier of the Spring Boot example', { timeout: 60_000 }, () => {
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

/**
 * The example's request handling (RelayInbox, what its Spring controller calls), compiled with
 * javac and served by the JDK's own HTTP server, receives real forwards of a relay: a verdict
 * and a timeout notice verify and are told apart; a forged request is refused with 401.
 */
describe.runIf(hasJava)('the Spring Boot example receiver against a real relay', { timeout: 90_000 }, () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let relay: TestRelay;
  let dir: string;
  let receiver: ReturnType<typeof spawn>;
  const lines: string[] = [];
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-spring-'));
    execFileSync('javac', ['-d', dir, join(MAIN, 'RelaySignature.java'), join(MAIN, 'RelayInbox.java'), join(EXAMPLE, 'src/test/java/com/example/moderation/PlainJdkReceiver.java')]);
    receiver = spawn('java', ['-cp', dir, 'com.example.moderation.PlainJdkReceiver', '0'], { env: { ...process.env, RELAY_SIGNING_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
    receiver.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const port = await waitFor(() => lines.find((line) => line.startsWith('listening '))?.slice('listening '.length), { what: 'the Java receiver to listen', timeoutMs: 30_000 });
    url = `http://127.0.0.1:${port}/wx/moderation`;
    relay = await startRelay({ RELAY_SIGNING_SECRET: secret });
  });
  afterAll(async () => {
    receiver?.kill();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes an XML verdict and the JSON timeout notice of the same app, each verified', async () => {
    await register(relay, { trace_id: 'spring-verdict', server_uri: url });
    await push(relay, mediaCheckXml('spring-verdict', 'risky'), {}, '/api/wechat', 'text/xml');
    const verdict = await waitFor(() => lines.find((line) => line.startsWith('VERDICT spring-verdict ')), { what: 'the verdict at the Java receiver' });
    expect(verdict).toContain('json=false');
    expect(verdict).toContain('<suggest><![CDATA[risky]]></suggest>');

    await register(relay, { trace_id: 'spring-timeout', server_uri: url, timeout_s: 1 });
    const notice = await waitFor(() => lines.find((line) => line.startsWith('TIMEOUT spring-timeout ')), { what: 'the timeout notice at the Java receiver', timeoutMs: 20_000 });
    expect(notice).toContain('json=true');
    expect(notice).toContain('"error":"WX_TIMEOUT_ERROR"');
    expect((await getTrace(relay, 'spring-timeout')).body).toMatchObject({ status: 'timed_out' });
    expect(lines.filter((line) => line.startsWith('refused'))).toEqual([]);
  });

  it('refuses a request whose signature was not made with the secret', async () => {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-relay-event': 'callback.received', 'x-relay-trace-id': 'forged', 'x-relay-delivery-id': 'd1',
        'webhook-id': 'msg_d1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` },
      body: '{"result":{"suggest":"pass"}}',
    });
    expect(answer.status).toBe(401);
    expect(lines.some((line) => line.startsWith('VERDICT forged'))).toBe(false);
  });
});
