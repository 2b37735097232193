import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTrace, register, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';

describe('registration API', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_ALLOWED_DESTINATIONS: 'http://127.0.0.1:,https://prod.example.com/' });
  });
  afterAll(async () => relay.close());

  it('registers a trace durably and answers 201, then shows it', async () => {
    const created = await register(relay, { trace_id: 'reg-1', server_uri: 'https://prod.example.com/wx' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ trace_id: 'reg-1', server_uri: 'https://prod.example.com/wx', status: 'pending', created: true });
    const shown = await getTrace(relay, 'reg-1');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ trace_id: 'reg-1', status: 'pending', error: null, attempts: [] });
    expect(Date.parse(shown.body.deadline_at) - Date.parse(shown.body.created_at)).toBe(1800_000);
  });

  it('accepts the older field names traceId and uri, and timeout_s', async () => {
    const created = await register(relay, { traceId: 'reg-old', uri: 'https://prod.example.com/old', timeout_s: 60 });
    expect(created.status).toBe(201);
    const shown = await getTrace(relay, 'reg-old');
    expect(Date.parse(shown.body.deadline_at) - Date.parse(shown.body.created_at)).toBe(60_000);
  });

  it('treats the same trace_id and server_uri again as a no-op, another server_uri as 409', async () => {
    await register(relay, { trace_id: 'reg-2', server_uri: 'https://prod.example.com/a' });
    const again = await register(relay, { trace_id: 'reg-2', server_uri: 'https://prod.example.com/a' });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const other = await register(relay, { trace_id: 'reg-2', server_uri: 'https://prod.example.com/b' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('TRACE_CONFLICT');
    expect((await getTrace(relay, 'reg-2')).body.server_uri).toBe('https://prod.example.com/a');
  });

  const badBodies: Array<[string, unknown, number, string]> = [
    ['missing trace_id', { server_uri: 'https://prod.example.com/x' }, 400, 'MISSING_FIELD'],
    ['empty trace_id', { trace_id: '  ', server_uri: 'https://prod.example.com/x' }, 400, 'MISSING_FIELD'],
    ['missing server_uri', { trace_id: 'bad-1' }, 400, 'MISSING_FIELD'],
    ['over-long trace_id', { trace_id: 'x'.repeat(129), server_uri: 'https://prod.example.com/x' }, 400, 'FIELD_TOO_LONG'],
    ['over-long server_uri', { trace_id: 'bad-2', server_uri: `https://prod.example.com/${'x'.repeat(2100)}` }, 400, 'FIELD_TOO_LONG'],
    ['relative server_uri', { trace_id: 'bad-3', server_uri: '/wx/callback' }, 400, 'INVALID_SERVER_URI'],
    ['ftp server_uri', { trace_id: 'bad-4', server_uri: 'ftp://prod.example.com/x' }, 400, 'INVALID_SERVER_URI'],
    ['javascript server_uri', { trace_id: 'bad-5', server_uri: 'javascript:alert(1)' }, 400, 'INVALID_SERVER_URI'],
    ['server_uri off the allowlist', { trace_id: 'bad-6', server_uri: 'https://evil.example.com/x' }, 400, 'DESTINATION_NOT_ALLOWED'],
    ['number trace_id', { trace_id: 42, server_uri: 'https://prod.example.com/x' }, 400, 'INVALID_FIELD'],
    ['control characters', { trace_id: 'bad\u0000', server_uri: 'https://prod.example.com/x' }, 400, 'INVALID_FIELD'],
    ['negative timeout_s', { trace_id: 'bad-7', server_uri: 'https://prod.example.com/x', timeout_s: -5 }, 400, 'INVALID_FIELD'],
    ['bad app_id', { trace_id: 'bad-8', server_uri: 'https://prod.example.com/x', app_id: '../etc' }, 400, 'INVALID_FIELD'],
    ['an array body', [1, 2], 400, 'INVALID_REQUEST'],
  ];
  it.each(badBodies)('refuses %s with a coded 4xx and stores nothing', async (_name, body, status, code) => {
    const response = await register(relay, body as object);
    expect(response.status).toBe(status);
    expect(response.body.error).toMatchObject({ code });
    expect(typeof response.body.error.message).toBe('string');
    const traceId = (body as { trace_id?: unknown }).trace_id;
    if (typeof traceId === 'string' && traceId.trim()) expect((await getTrace(relay, traceId)).status).toBe(404);
  });

  it('refuses a body that is not JSON, the wrong content type and an oversized body', async () => {
    const url = `${relay.url}/api/moderate/trace`;
    const notJson = await send('POST', url, '{"trace_id": "x",', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_JSON');
    const form = await send('POST', url, 'trace_id=x&server_uri=y', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const huge = await send('POST', url, JSON.stringify({ trace_id: 'huge', server_uri: 'https://prod.example.com/x', pad: 'x'.repeat(64 * 1024) }), { 'content-type': 'application/json' });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('BODY_TOO_LARGE');
    expect((await getTrace(relay, 'huge')).status).toBe(404);
  });

  it('answers 404 with a coded error for an unknown trace and an unknown route', async () => {
    const missing = await getTrace(relay, 'never-registered');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const route = await send('GET', `${relay.url}/nope`);
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('NOT_FOUND');
  });
});

describe('registration API with RELAY_API_KEYS', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startRelay({ RELAY_API_KEYS: 'key-one-123456,key-two-123456' });
  });
  afterAll(async () => relay.close());

  it('needs a valid Bearer key, and accepts every configured key', async () => {
    const body = { trace_id: 'auth-1', server_uri: 'https://prod.example.com/x' };
    expect((await register(relay, body)).status).toBe(401);
    const wrong = await register(relay, body, { authorization: 'Bearer not-a-key-000' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect((await send('GET', `${relay.url}/api/moderate/trace/auth-1`, undefined, { authorization: 'Bearer key-one-123456' })).status).toBe(404);
    expect((await register(relay, body, { authorization: 'Bearer key-two-123456' })).status).toBe(201);
  });
});
