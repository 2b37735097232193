import { getJson } from './api.js';
import { activityChart } from './chart.js';
import { h } from './dom.js';
import { formatTime, t } from './i18n.js';

const STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'timed_out'];
/** Filter names as they appear in the address bar and in the admin API. */
export const FILTER_NAMES = ['status', 'app_id', 'destination', 'from', 'to', 'q'];

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, t(`status.${status}`));
}

export function marks(trace) {
  return [
    trace.late ? h('span', { class: 'mark mark-late' }, t('mark.late')) : null,
    trace.conflicts > 0 ? h('span', { class: 'mark mark-conflict' }, `${t('mark.conflict')} ×${trace.conflicts}`) : null,
  ];
}

export async function renderActivity() {
  const activity = await getJson('/api/admin/activity', { bucket_s: 1800 });
  const hasAny = activity.buckets.some((bucket) => bucket.pushes + bucket.delivered + bucket.failed + bucket.timed_out > 0);
  return h('section', { id: 'activity' }, h('h2', {}, t('activity.title')), activityChart(activity), hasAny ? null : h('p', { class: 'muted' }, t('activity.empty')));
}

/** CSP forbids style attributes in markup; the CSSOM may still set a property. */
function rateBar(rate) {
  const bar = h('span', { class: 'rate' });
  bar.style.setProperty('--rate', `${Math.round(rate * 100)}%`);
  return bar;
}

export async function renderHealth(onPick) {
  const health = await getJson('/api/admin/destination-health', { window_s: 3600 });
  const rows = health.destinations.map((item) => h('tr', {},
    h('td', { class: 'mono' }, h('button', { type: 'button', class: 'link', title: t('health.filter'), onclick: () => onPick(item.destination) }, item.destination)),
    h('td', {}, rateBar(item.success_rate), ` ${Math.round(item.success_rate * 100)}%`),
    h('td', { class: 'num' }, item.attempts),
    h('td', {}, item.last_http_status ?? item.last_outcome, ' · ', formatTime(item.last_attempt_at)),
    h('td', { class: 'num' }, item.open_deliveries),
    h('td', {}, item.circuit ? h('span', { class: `circuit circuit-${item.circuit}` }, t(`circuit.${item.circuit}`)) : '—'),
  ));
  const head = h('tr', {}, ['health.destination', 'health.rate', 'health.attempts', 'health.last', 'health.open', 'health.circuit'].map((key) => h('th', {}, t(key))));
  return h('section', { id: 'health' }, h('h2', {}, t('health.title')),
    rows.length > 0 ? h('table', {}, h('thead', {}, head), h('tbody', {}, rows)) : h('p', { class: 'muted' }, t('health.empty')));
}

/** The filter form; `onApply` receives the filters as plain strings. */
function filterForm(filters, onApply) {
  const input = (name, attributes) => h('input', { name, value: filters[name] ?? '', ...attributes });
  const form = h('form', { class: 'filters', id: 'filters' },
    h('label', {}, t('traces.status'), h('select', { name: 'status' }, h('option', { value: '' }, t('traces.any')),
      STATUSES.map((status) => h('option', { value: status, selected: filters.status === status }, t(`status.${status}`))))),
    h('label', {}, t('traces.app'), input('app_id', { size: 12 })),
    h('label', {}, t('traces.destination'), input('destination', { size: 28 })),
    h('label', {}, t('traces.from'), input('from', { type: 'datetime-local', value: toLocalInput(filters.from) })),
    h('label', {}, t('traces.to'), input('to', { type: 'datetime-local', value: toLocalInput(filters.to) })),
    h('label', { class: 'grow' }, h('span', { class: 'sr' }, t('traces.search')), input('q', { type: 'search', placeholder: t('traces.search') })),
    h('button', { type: 'submit' }, t('traces.apply')),
    h('button', { type: 'button', class: 'secondary', onclick: () => onApply({}) }, t('traces.clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const name of FILTER_NAMES) {
      const value = String(data.get(name) ?? '').trim();
      if (value) next[name] = name === 'from' || name === 'to' ? new Date(value).toISOString() : value;
    }
    onApply(next);
  });
  return form;
}

function toLocalInput(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export async function renderTraces(filters, cursor, navigate) {
  const page = await getJson('/api/admin/traces', { ...filters, cursor, limit: 50 });
  const rows = page.traces.map((trace) => h('tr', {},
    h('td', { class: 'mono' }, h('a', { href: `#/trace/${encodeURIComponent(trace.app_id)}/${encodeURIComponent(trace.trace_id)}`, class: 'trace-link' }, trace.trace_id)),
    h('td', {}, statusBadge(trace.status), ' ', marks(trace)),
    h('td', {}, trace.error ?? ''),
    h('td', {}, trace.app_id),
    h('td', { class: 'mono ellipsis', title: trace.server_uri }, trace.server_uri),
    h('td', {}, formatTime(trace.created_at)),
  ));
  const head = h('tr', {}, ['traces.trace_id', 'traces.status', 'traces.error', 'traces.app', 'traces.destination', 'traces.registered'].map((key) => h('th', {}, t(key))));
  const pager = h('div', { class: 'pager' },
    cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => navigate(filters, undefined) }, t('traces.first')) : null,
    page.next_cursor ? h('button', { type: 'button', id: 'next-page', onclick: () => navigate(filters, page.next_cursor) }, t('traces.more')) : null);
  return h('section', { id: 'traces' }, h('h2', {}, t('traces.title')), filterForm(filters, (next) => navigate(next, undefined)),
    rows.length > 0 ? h('table', { id: 'trace-table' }, h('thead', {}, head), h('tbody', {}, rows)) : h('p', { class: 'muted', id: 'no-traces' }, t('traces.empty')),
    pager);
}
