import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEMO_APP_ID, DEMO_TOKEN, runDemo, type RunningDemo } from '../../src/demo/run-demo.ts';
import { hasChromium, launchChromium } from '../helpers/browser.ts';
import { BusinessServer } from '../helpers/business-server.ts';
import { push, register, startRelay } from '../helpers/relay-harness.ts';
import { mediaCheckJson, signQuery } from '../helpers/wechat-signer.ts';

/** The page's globals, typed by hand: the tests are type-checked without the DOM library. */
type PageGlobals = { document: { body: { dataset: Record<string, string | undefined> }; querySelectorAll(selector: string): { length: number } } };

/** Runs in the page: a render finished after the one numbered `before`. */
const READY_SCRIPT = (before: string | null) => {
  const ready = (globalThis as unknown as PageGlobals).document.body.dataset.ready;
  return ready !== undefined && ready !== before;
};

/** Runs in the page: the timeline lists at least `count` attempts. */
const ATTEMPTS_SCRIPT = (count: number) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#timeline li.attempt').length >= count;

/** Set to a folder (e.g. docs) to save screenshots of the main pages there. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

describe.runIf(hasChromium())('the dashboard in a real browser', { timeout: 120_000 }, () => {
  let demo: RunningDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];

  /** Waits for the page to finish a render (app.js sets data-ready after each one). */
  const rendered = async (previous?: string) => {
    await page.waitForFunction(READY_SCRIPT, previous ?? null, { timeout: 20_000 });
  };
  const readyTicket = () => page.evaluate<string | undefined>('document.body.dataset.ready');
  const shoot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
  };

  beforeAll(async () => {
    demo = await runDemo({ port: 0, say: () => undefined, shortTimeoutS: 1 });
    browser = await launchChromium('en-US');
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('loads the overview: chart, destination health and the trace list', async () => {
    await page.goto(demo.dashboardUrl);
    await rendered();
    expect(await page.locator('#activity svg rect.bar').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#activity .legend li').count()).toBe(4);
    expect(await page.locator('#activity .legend [data-series="pushes"] strong').textContent()).not.toBe('0');
    expect(await page.locator('#health tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#trace-table tbody tr').count()).toBe(demo.traces.length);
    expect(await page.locator('h2').first().textContent()).toBe('Last 24 hours');
    await shoot('dashboard-overview');
  });

  it('filters by status and by trace id', async () => {
    let ticket = await readyTicket();
    await page.selectOption('#filters select[name="status"]', 'timed_out');
    await page.click('#filters button[type="submit"]');
    await rendered(ticket);
    const ids = await page.locator('#trace-table .trace-link').allTextContents();
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/-timeout$/);
    expect(page.url()).toContain('status=timed_out');

    ticket = await readyTicket();
    await page.selectOption('#filters select[name="status"]', '');
    await page.fill('#filters input[name="q"]', demo.traces[3]?.traceId ?? '');
    await page.click('#filters button[type="submit"]');
    await rendered(ticket);
    expect(await page.locator('#trace-table .trace-link').allTextContents()).toEqual([demo.traces[3]?.traceId]);
  });

  it('opens a trace: its timeline shows every attempt with status and duration', async () => {
    const ticket = await readyTicket();
    await page.click('#trace-table .trace-link');
    await rendered(ticket);
    const timeline = page.locator('#timeline li');
    const texts = await timeline.allTextContents();
    expect(texts[0]).toContain('Registered');
    expect(texts.some((text) => text.includes('Push received'))).toBe(true);
    const attempts = texts.filter((text) => text.includes('Attempt'));
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toContain('HTTP 503');
    expect(attempts[0]).toContain('busy, try later');
    expect(attempts[2]).toContain('HTTP 200');
    expect(attempts[2]).toMatch(/Duration \d+ ms/);
    await shoot('dashboard-trace');
  });

  it('replays a delivered trace and shows the new attempt', async () => {
    const delivered = demo.traces[0];
    let ticket = await readyTicket();
    await page.goto(`${demo.dashboardUrl}#/trace/${DEMO_APP_ID}/${delivered?.traceId}`);
    await rendered(ticket);
    expect(await page.locator('#timeline li.attempt').count()).toBe(1);
    ticket = await readyTicket();
    await page.click('#replay');
    await rendered(ticket);
    expect(await page.locator('#trace-notice').textContent()).toMatch(/^Replay queued: delivery [0-9a-f-]{36}$/);
    // The page follows the open delivery until its attempt is recorded.
    await page.waitForFunction(ATTEMPTS_SCRIPT, 2, { timeout: 20_000 });
    const attempts = await page.locator('#timeline li.attempt').allTextContents();
    expect(attempts[1]).toContain('HTTP 200');
    expect(await page.locator('#timeline li.replay').textContent()).toContain('Replayed by loopback');
  });

  it('marks late pushes and timeout notices on the timeline', async () => {
    const late = demo.traces.find((trace) => trace.traceId.endsWith('-late'));
    const ticket = await readyTicket();
    await page.goto(`${demo.dashboardUrl}#/trace/${DEMO_APP_ID}/${late?.traceId}`);
    await rendered(ticket);
    const text = await page.locator('#trace').textContent();
    expect(text).toContain('late');
    expect(text).toContain('timeout notice');
    expect(text).toContain('after the deadline');
  });

  it('marks repeated and conflicting pushes', async () => {
    const repeated = demo.traces[1];
    // WeChat "repeats" the push with another verdict: kept on the trace, never forwarded.
    const relay = { url: demo.relayUrl } as Parameters<typeof push>[0];
    const answer = await push(relay, mediaCheckJson(repeated?.traceId ?? '', 'pass', DEMO_APP_ID), signQuery(DEMO_TOKEN), '/api/wechat');
    expect(answer.text).toBe('success');
    const ticket = await readyTicket();
    await page.goto(`${demo.dashboardUrl}#/trace/${DEMO_APP_ID}/${repeated?.traceId}`);
    await rendered(ticket);
    expect(await page.locator('.trace-head .mark-duplicate').textContent()).toBe('repeated ×1');
    expect(await page.locator('.trace-head .mark-conflict').textContent()).toBe('conflict ×1');
    expect(await page.locator('#timeline li.conflict').count()).toBe(1);
    expect(await page.locator('#timeline li.duplicate').textContent()).toContain('forwarded once');
    expect(await page.locator('pre.payload.conflict').textContent()).toContain('"suggest":"pass"');
  });

  it('shows payload markup as text and never runs it', async () => {
    // A push whose payload carries markup: it must show as text, never run.
    const relay = { url: demo.relayUrl } as Parameters<typeof push>[0];
    await register(relay, { trace_id: 'xss-trace', server_uri: `${demo.relayUrl}/healthz`, app_id: DEMO_APP_ID });
    await push(relay, JSON.stringify({ ...JSON.parse(mediaCheckJson('xss-trace')), note: '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">' }), signQuery(DEMO_TOKEN), '/api/wechat');
    const ticket = await readyTicket();
    await page.goto(`${demo.dashboardUrl}#/trace/${DEMO_APP_ID}/xss-trace`);
    await rendered(ticket);
    const payload = page.locator('#payload');
    expect(await payload.textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(await payload.locator('script, img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
  });

  it('shows an error in the page instead of a blank screen', async () => {
    const ticket = await readyTicket();
    await page.goto(`${demo.dashboardUrl}#/?from=not-a-time`);
    await rendered(ticket);
    expect(await page.locator('#error').isVisible()).toBe(true);
    expect(await page.locator('#error').textContent()).toContain('INVALID_REQUEST');
    expect(await page.locator('#activity').count()).toBe(1);
  });

  it('renders the API docs page from the relay alone', async () => {
    const docs = await browser.context.newPage();
    try {
      const blocked: string[] = [];
      docs.on('console', (message) => { if (message.type() === 'error') blocked.push(message.text()); });
      await docs.goto(`${demo.relayUrl}/docs`);
      await docs.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
      expect(await docs.locator('.swagger-ui .info .title').textContent()).toContain('callback-relay');
      expect(await docs.locator('.opblock-summary-path').allTextContents()).toContain('/api/admin/traces');
      expect(blocked).toEqual([]);
    } finally {
      await docs.close();
    }
  });

  it('switches to Chinese and remembers it; a Chinese browser starts in Chinese', async () => {
    let ticket = await readyTicket();
    await page.goto(demo.dashboardUrl);
    await rendered(ticket);
    ticket = await readyTicket();
    await page.click('#lang');
    await rendered(ticket);
    expect(await page.locator('h2').first().textContent()).toBe('最近 24 小时');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shoot('dashboard-overview-zh');
    await page.reload();
    await rendered();
    expect(await page.locator('#lang').textContent()).toBe('English');

    const chinese = await launchChromium('zh-CN');
    try {
      const zhPage = await chinese.context.newPage();
      await zhPage.goto(demo.dashboardUrl);
      await zhPage.waitForFunction(READY_SCRIPT, null);
      expect(await zhPage.locator('#traces h2').textContent()).toBe('Trace 列表');
    } finally {
      await chinese.close();
    }
    expect(pageErrors).toEqual([]);
  });
});

describe.runIf(hasChromium())('the dashboard behind API keys, in a real browser', { timeout: 120_000 }, () => {
  it('asks for the key as a password, then loads every part with it', async () => {
    const relay = await startRelay({ RELAY_API_KEYS: 'browser-test-key-1' });
    const business = await BusinessServer.start(() => 200);
    const registered = await register(relay, { trace_id: 'keyed-1', server_uri: `${business.url}/cb` }, { authorization: 'Bearer browser-test-key-1' });
    expect(registered.status).toBe(201);
    const withKey = await launchChromium('en-US', { username: 'ops', password: 'browser-test-key-1' });
    const withoutKey = await launchChromium('en-US');
    try {
      const page = await withKey.context.newPage();
      await page.goto(`${relay.url}/dashboard`);
      await page.waitForFunction(READY_SCRIPT, null, { timeout: 20_000 });
      expect(await page.locator('#error').isVisible()).toBe(false);
      expect(await page.locator('#trace-table .trace-link').allTextContents()).toEqual(['keyed-1']);
      // The trace page and its Replay button call the trace and replay APIs: the key given once serves them too.
      await push(relay, mediaCheckJson('keyed-1'));
      let ticket = await page.evaluate<string | undefined>('document.body.dataset.ready');
      await page.goto(`${relay.url}/dashboard#/trace/default/keyed-1`);
      await page.waitForFunction(READY_SCRIPT, ticket ?? null, { timeout: 20_000 });
      await page.waitForFunction(ATTEMPTS_SCRIPT, 1, { timeout: 20_000 });
      expect(await page.locator('#error').isVisible()).toBe(false);
      ticket = await page.evaluate<string | undefined>('document.body.dataset.ready');
      await page.click('#replay');
      await page.waitForFunction(READY_SCRIPT, ticket ?? null, { timeout: 20_000 });
      expect(await page.locator('#trace-notice').textContent()).toMatch(/^Replay queued: delivery [0-9a-f-]{36}$/);
      await page.waitForFunction(ATTEMPTS_SCRIPT, 2, { timeout: 20_000 });
      expect(await page.locator('#timeline li.replay').textContent()).toMatch(/Replayed by key:/);
      // Without a key the browser is challenged and, having none to give, stops there.
      const refused = (await withoutKey.context.newPage()).goto(`${relay.url}/dashboard`);
      await expect(refused).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await withKey.close();
      await withoutKey.close();
      await relay.close();
      await business.stop();
    }
  });
});
