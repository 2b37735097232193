import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { ERROR_CODES } from '../../src/errors/error-codes.ts';
import { RelayError } from '../../src/errors/relay-error.ts';
import { routesOf } from '../../src/http/openapi/openapi.ts';
import { RegistrationBody } from '../../src/http/openapi/route-docs.ts';
import { parseRegistration } from '../../src/registration/registration-input.ts';
import { send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';

type Operation = { responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum: string[] } } } } } }> }> };

describe('the OpenAPI document', () => {
  let relay: TestRelay;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>>; info: { description: string } };
  beforeAll(async () => {
    relay = await startRelay();
    const response = await send('GET', `${relay.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(async () => relay.close());

  it('is OpenAPI 3.1 and lists every route the relay serves', () => {
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace('{*}', '*').replace(/\{(\w+)\}/g, ':$1')}`));
    const served = routesOf(relay.app.server);
    expect(served.length).toBeGreaterThan(8);
    expect(listed.toSorted()).toEqual([...new Set(served)].toSorted());
    const listTraces = document.paths['/api/admin/traces']?.get as unknown as { security?: unknown };
    expect(listTraces.security).toEqual([{ apiKey: [] }]);
    for (const route of ['POST /api/moderate/trace', 'GET /api/moderate/trace/:traceId', 'POST /api/wechat', 'GET /api/admin/traces', 'GET /metrics']) {
      expect(listed).toContain(route);
    }
  });

  it('documents only codes of the registry, each under the status the error handler answers with', () => {
    let documentedCount = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const codes = response.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum ?? [];
          for (const code of codes) {
            documentedCount++;
            expect(Object.keys(ERROR_CODES), `${method} ${path}`).toContain(code);
            expect(String(ERROR_CODES[code as keyof typeof ERROR_CODES].status), `${code} on ${method} ${path}`).toBe(status);
          }
        }
      }
    }
    expect(documentedCount).toBeGreaterThan(20);
    for (const [code, entry] of Object.entries(ERROR_CODES)) expect(document.info.description).toContain(`\`${code}\` (${entry.status})`);
  });

  it('serves a docs page and its assets from the relay itself', async () => {
    const page = await send('GET', `${relay.url}/docs/`);
    expect(page.status).toBe(200);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect(asset.startsWith('http'), asset).toBe(false);
    const bundle = assets.find((asset) => asset.endsWith('.js')) ?? '';
    expect((await send('GET', new URL(bundle, `${relay.url}/docs/`).toString())).status).toBe(200);
  });
});

describe('the registration body schema agrees with the code that validates it', () => {
  const samples: unknown[] = [
    { trace_id: 't-1', server_uri: 'https://a.example/cb' },
    { trace_id: 't-1', server_uri: 'https://a.example/cb', app_id: 'wx123', timeout_s: 60 },
    { trace_id: '', server_uri: 'https://a.example/cb' },
    { trace_id: 'x'.repeat(129), server_uri: 'https://a.example/cb' },
    { trace_id: 't-1' },
    { server_uri: 'https://a.example/cb' },
    { trace_id: 't-1', server_uri: 'https://a.example/cb', app_id: 'bad app' },
    { trace_id: 't-1', server_uri: 'https://a.example/cb', timeout_s: 0 },
    { trace_id: 't-1', server_uri: 'https://a.example/cb', timeout_s: 30 * 86_400 + 1 },
    { trace_id: 7, server_uri: 'https://a.example/cb' },
  ];
  it.each(samples.map((sample) => [JSON.stringify(sample).slice(0, 60), sample]))('%s', (_label, sample) => {
    let isAcceptedByCode = true;
    try {
      parseRegistration(sample, []);
    } catch (error) {
      expect(error).toBeInstanceOf(RelayError);
      isAcceptedByCode = false;
    }
    expect(Value.Check(RegistrationBody, sample)).toBe(isAcceptedByCode);
  });
});
