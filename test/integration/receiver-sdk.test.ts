import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Koa from 'koa';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RelayClient, parseForwardedEvent, relayExpress, relayFastify, relayKoa, verifyWebhookSignature,
  type ForwardedEvent,
} from '../../src/sdk/receiver.ts';
import { push, send, startRelay, type TestRelay } from '../helpers/relay-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { mediaCheckJson, mediaCheckXml } from '../helpers/wechat-signer.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('the receiver SDK behind Express, Koa and Fastify, fed by a real relay', () => {
  let relay: TestRelay;
  const received: Record<string, ForwardedEvent[]> = { express: [], koa: [], fastify: [] };
  const servers: Server[] = [];
  let fastify: FastifyInstance;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    relay = await startRelay({ RELAY_SIGNING_SECRET: SECRET });
    const expressApp = express();
    expressApp.post('/wx', relayExpress({ secrets: SECRET }), (request, response) => {
      received.express?.push((request as unknown as { relayEvent: ForwardedEvent }).relayEvent);
      response.send('ok');
    });
    const expressServer = expressApp.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    servers.push(expressServer);
    urls.express = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`;

    const koa = new Koa();
    koa.use(relayKoa({ secrets: SECRET }));
    koa.use(async (ctx) => {
      received.koa?.push(ctx.state.relayEvent as ForwardedEvent);
      ctx.body = 'ok';
    });
    const koaServer = koa.listen(0, '127.0.0.1');
    servers.push(koaServer);
    await new Promise((resolve) => koaServer.once('listening', resolve));
    urls.koa = `http://127.0.0.1:${(koaServer.address() as AddressInfo).port}`;

    fastify = Fastify();
    await fastify.register(relayFastify, { path: '/wx', secrets: SECRET, handle: (event) => { received.fastify?.push(event); } });
    urls.fastify = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await relay.close();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await fastify.close();
  });

  it('registers with the typed client, then receives a verified, typed media check verdict in each framework', async () => {
    const client = new RelayClient({ baseUrl: relay.url });
    for (const framework of ['express', 'koa', 'fastify']) {
      const registration = await client.register({ traceId: `sdk-${framework}`, serverUri: `${urls[framework]}/wx` });
      expect(registration).toMatchObject({ trace_id: `sdk-${framework}`, created: true, status: 'pending' });
      await push(relay, mediaCheckJson(`sdk-${framework}`, 'risky'));
    }
    for (const framework of ['express', 'koa', 'fastify']) {
      const [event] = await waitFor(() => (received[framework]?.length ? received[framework] : undefined), { what: `${framework} event` });
      expect(event?.kind).toBe('media_check');
      if (event?.kind !== 'media_check') continue;
      expect(event.traceId).toBe(`sdk-${framework}`);
      expect(event.result.result.suggest).toBe('risky');
      expect(event.result.detail[0]?.strategy).toBe('content_model');
      expect(event.isLate).toBe(false);
      expect(event.deliveryId).toEqual(expect.any(String));
      const state = await client.status(`sdk-${framework}`);
      await waitFor(async () => (await client.status(`sdk-${framework}`)).status === 'delivered', { what: `${framework} delivered` });
      expect(state.trace_id).toBe(`sdk-${framework}`);
    }
  });

  it('turns the timeout notice into a typed timeout event', async () => {
    await new RelayClient({ baseUrl: relay.url }).register({ traceId: 'sdk-timeout', serverUri: `${urls.express}/wx`, timeoutS: 1 });
    const event = await waitFor(() => received.express?.find((item) => item.traceId === 'sdk-timeout'), { what: 'timeout notice' });
    expect(event.kind).toBe('timeout');
    if (event.kind === 'timeout') expect(event.notice).toMatchObject({ type: 'callback.timeout', trace_id: 'sdk-timeout', error: 'WX_TIMEOUT_ERROR' });
  });

  it('refuses a forged or unsigned request with 401 in every framework', async () => {
    const body = mediaCheckJson('forged');
    const forged = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` };
    for (const framework of ['express', 'koa', 'fastify']) {
      const response = await send('POST', `${urls[framework]}/wx`, body, { 'content-type': 'application/json', ...forged });
      expect(response.status, framework).toBe(401);
      expect(response.body.error.code).toBe('SIGNATURE_INVALID');
      expect((await send('POST', `${urls[framework]}/wx`, body, { 'content-type': 'application/json' })).status, framework).toBe(401);
    }
  });
});

describe('verifyWebhookSignature and parseForwardedEvent', () => {
  it('accepts what the Standard Webhooks reference library signs, within the tolerance only', () => {
    const body = mediaCheckJson('interop');
    const now = new Date();
    const headers = {
      'webhook-id': 'msg_interop',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign('msg_interop', now, body),
    };
    expect(verifyWebhookSignature(headers, body, { secrets: [`whsec_${randomBytes(32).toString('base64')}`, SECRET] })).toMatchObject({ messageId: 'msg_interop' });
    expect(() => verifyWebhookSignature(headers, `${body} `, { secrets: SECRET })).toThrow(expect.objectContaining({ reason: 'no_matching_signature' }));
    expect(() => verifyWebhookSignature(headers, body, { secrets: SECRET, now: now.getTime() + 301_000 })).toThrow(expect.objectContaining({ reason: 'timestamp_out_of_tolerance' }));
    expect(() => verifyWebhookSignature(headers, body, { secrets: SECRET, now: now.getTime() + 600_000, toleranceS: 900 })).not.toThrow();
    expect(() => verifyWebhookSignature({}, body, { secrets: SECRET })).toThrow(expect.objectContaining({ reason: 'missing_headers' }));
  });

  it('reads XML verdicts, and refuses XML with a DOCTYPE', () => {
    const event = parseForwardedEvent({ 'content-type': 'text/xml', 'x-relay-event': 'callback.received', 'x-relay-trace-id': 'xml-1', 'x-relay-late': 'true' }, mediaCheckXml('xml-1', 'pass'));
    expect(event).toMatchObject({ kind: 'media_check', traceId: 'xml-1', isLate: true, result: { trace_id: 'xml-1', version: 2, result: { suggest: 'pass', label: 100 } } });
    expect(() => parseForwardedEvent({ 'content-type': 'text/xml' }, '<!DOCTYPE x [<!ENTITY a "b">]><xml><a>&a;</a></xml>')).toThrow('DOCTYPE');
    expect(() => parseForwardedEvent({ 'content-type': 'application/json' }, 'not json')).toThrow('cannot be read');
  });
});
