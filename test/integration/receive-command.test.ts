import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../helpers/cli-process.ts';
import { push, register, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { mediaCheckJson } from '../helpers/wechat-signer.ts';

/** `callback-relay receive`, the README's business server: it prints what a real relay sends and checks the signature. */
describe('callback-relay receive', { timeout: 60_000 }, () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let relay: TestRelay;
  let receiver: CliProcess;
  let url: string;
  beforeAll(async () => {
    receiver = CliProcess.relayCli(['receive', '--port', '0', '--secret', secret]);
    const banner = await receiver.waitForLine(/^receiving on /);
    url = /(http:\/\/\S+)\//.exec(banner)![1]!;
    relay = await startRelay({ RELAY_SIGNING_SECRET: secret });
  });
  afterAll(async () => {
    expect(await receiver.signal('SIGINT')).toBe(0);
    await relay.close();
  });

  it('prints a forward with the relay headers and the body, and answers 200', async () => {
    await register(relay, { trace_id: 'receive-1', server_uri: `${url}/wx/media-check` });
    await push(relay, mediaCheckJson('receive-1', 'risky'));
    const line = await receiver.waitForLine(/callback\.received {2}trace receive-1 /);
    expect(line).toMatch(/attempt 1 .*application\/json {2}signature valid {2}→ 200$/);
    await receiver.waitForLine(/"suggest":"risky"/);
  });

  it('answers 401 to a request not signed with the secret', async () => {
    const answer = await fetch(`${url}/wx/media-check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
      body: '{}',
    });
    expect(answer.status).toBe(401);
    await receiver.waitForLine(/→ 401 SIGNATURE_INVALID/);
  });
});
