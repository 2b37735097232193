import { ApiError } from './api.js';
import { h, mount } from './dom.js';
import { currentLanguage, setLanguage, t, translateStatic } from './i18n.js';
import { FILTER_NAMES, renderActivity, renderHealth, renderTraces } from './overview.js';
import { renderTrace } from './trace.js';

const main = document.getElementById('main');
const banner = document.getElementById('error');
let canReplay = false;
let renderCount = 0;
const REFRESH_MS = 1500;

/** Errors go in the page, in the reader's language, never to a blank screen. */
function showError(error) {
  let text;
  if (error instanceof ApiError) {
    if (error.status === 0) text = t('error.network', { message: error.message });
    else if (error.status === 401 || error.status === 403) text = t('error.auth', { message: error.message });
    else text = t('error.generic', { code: error.code, message: error.message });
  } else {
    text = t('error.generic', { code: 'ERROR', message: error instanceof Error ? error.message : String(error) });
  }
  banner.textContent = text;
  banner.hidden = false;
}

function clearError() {
  banner.hidden = true;
  banner.textContent = '';
}

/** `#/?status=failed&cursor=…` and `#/trace/<app_id>/<trace_id>`. */
function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const traceMatch = /^\/trace\/([^/]+)\/(.+)$/.exec(path);
  if (traceMatch) return { view: 'trace', appId: decodeURIComponent(traceMatch[1]), traceId: decodeURIComponent(traceMatch[2]) };
  const params = new URLSearchParams(query);
  const filters = {};
  for (const name of FILTER_NAMES) if (params.get(name)) filters[name] = params.get(name);
  return { view: 'overview', filters, cursor: params.get('cursor') || undefined };
}

function navigate(filters, cursor) {
  const params = new URLSearchParams(filters);
  if (cursor) params.set('cursor', cursor);
  const next = `#/${params.size > 0 ? `?${params}` : ''}`;
  if (location.hash === next) render();
  else location.hash = next;
}

/** Each part loads on its own, so one failing part shows its error and the rest still appear. */
async function part(load) {
  try {
    return await load();
  } catch (error) {
    showError(error);
    return null;
  }
}

async function render(notice) {
  const ticket = ++renderCount;
  const route = parseRoute();
  clearError();
  document.body.dataset.view = route.view;
  let content;
  if (route.view === 'trace') {
    content = [await part(() => renderTrace(route.appId, route.traceId, { canReplay, notice, showError, rerender: (message) => render(message) }))];
  } else {
    const pick = (destination) => navigate({ ...route.filters, destination }, undefined);
    content = await Promise.all([
      part(() => renderActivity()),
      part(() => renderHealth(pick)),
      part(() => renderTraces(route.filters, route.cursor, navigate)),
    ]);
  }
  // A slower, older render must not overwrite a newer one.
  if (ticket !== renderCount) return;
  mount(main, content.filter(Boolean).length > 0 ? content : h('p', { class: 'muted' }, '—'));
  document.body.dataset.ready = String(ticket);
  followOpenDeliveries(ticket, notice);
}

/** While a trace has a delivery in flight (a replay, a retry), refresh it so new attempts appear. */
function followOpenDeliveries(ticket, notice) {
  const section = document.getElementById('trace');
  if (!section || section.dataset.open !== 'true') return;
  const hash = location.hash;
  setTimeout(() => {
    if (ticket === renderCount && location.hash === hash) render(notice);
  }, REFRESH_MS);
}

/** Replay is offered when the relay's API document lists it. */
async function detectReplay() {
  try {
    const response = await fetch('/openapi.json', { credentials: 'same-origin' });
    const document = await response.json();
    canReplay = Object.keys(document.paths ?? {}).some((path) => /^\/api\/moderate\/trace\/\{[^}]+\}\/replay$/.test(path));
  } catch {
    canReplay = false;
  }
}

function setUpLanguageSwitch() {
  const button = document.getElementById('lang');
  const refresh = () => {
    button.textContent = t('lang.switch');
    translateStatic();
  };
  button.addEventListener('click', () => {
    setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh');
    refresh();
    render();
  });
  setLanguage(currentLanguage());
  refresh();
}

window.addEventListener('error', (event) => showError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(event.reason));
window.addEventListener('hashchange', () => render());
setUpLanguageSwitch();
await detectReplay();
await render();
