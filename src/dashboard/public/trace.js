import { ApiError, getJson, postJson } from './api.js';
import { h } from './dom.js';
import { formatTime, t } from './i18n.js';
import { statusBadge } from './overview.js';

/** JSON pushes indented for reading; anything else exactly as stored. Shown as text either way. */
function readable(callback) {
  if (!String(callback.content_type).includes('json')) return callback.body;
  try {
    return JSON.stringify(JSON.parse(callback.body), null, 2);
  } catch {
    return callback.body;
  }
}

/** Timeline events of a trace, each `{ at, kind, title, details }`, in time order. */
export function timelineOf(trace) {
  const events = [{ at: trace.created_at, kind: 'registered', title: t('ev.registered', { uri: trace.server_uri }), details: [t('ev.deadline', { at: formatTime(trace.deadline_at) })] }];
  if (trace.callback) {
    events.push({ at: trace.callback.received_at, kind: trace.late ? 'push late' : 'push', title: t(trace.late ? 'ev.push_late' : 'ev.push'), details: [trace.callback.event] });
    if (trace.callback.duplicates > 0) events.push({ at: trace.callback.received_at, kind: 'duplicate', title: t('ev.duplicates', { n: trace.callback.duplicates }), details: [] });
  }
  for (const conflict of trace.conflicts) events.push({ at: conflict.received_at, kind: 'conflict', title: t('ev.conflict'), details: [] });
  for (const delivery of trace.deliveries) {
    if (delivery.source === 'replay' || delivery.source === 'redrive') {
      events.push({ at: delivery.created_at, kind: 'replay', title: t(`ev.${delivery.source}`, { actor: delivery.requested_by ?? '' }), details: [] });
    } else if (delivery.kind === 'timeout') {
      events.push({ at: delivery.created_at, kind: 'timeout', title: t('ev.timeout'), details: [] });
    }
  }
  for (const attempt of trace.attempts) {
    const isSuccess = attempt.outcome === 'success';
    events.push({
      at: attempt.at,
      kind: `attempt ${isSuccess ? 'ok' : 'bad'}`,
      title: t(attempt.kind === 'timeout' ? 'ev.notice_attempt' : 'ev.attempt', { n: attempt.attempt }),
      details: [
        `${t('field.status')} ${attempt.http_status ?? '—'}`,
        `${t('field.duration')} ${attempt.duration_ms} ms`,
        `${t('field.outcome')} ${attempt.outcome}`,
      ],
      excerpt: attempt.response_excerpt,
      error: attempt.error,
    });
  }
  for (const delivery of trace.deliveries) {
    if (delivery.next_attempt_at) events.push({ at: delivery.next_attempt_at, kind: 'next', title: t('ev.next', { at: formatTime(delivery.next_attempt_at) }), details: [] });
  }
  // Stable sort: events of the same instant keep the order they were added in.
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function timelineItem(event) {
  return h('li', { class: `event ${event.kind}` },
    h('time', { datetime: event.at }, formatTime(event.at)),
    h('div', { class: 'what' }, h('strong', {}, event.title),
      event.details.length > 0 ? h('span', { class: 'details' }, event.details.join(' · ')) : null,
      event.error ? h('div', { class: 'excerpt' }, `${t('field.error')}: `, event.error) : null,
      event.excerpt ? h('div', { class: 'excerpt' }, `${t('field.response')}: `, h('code', {}, event.excerpt)) : null));
}

/** Shows a replay button when the relay offers replays (POST …/replay answers 404 until it does). */
function replayButton(trace, rerender, showError) {
  const button = h('button', { type: 'button', id: 'replay', class: 'replay' }, t('trace.replay'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const answer = await postJson(`/api/moderate/trace/${encodeURIComponent(trace.trace_id)}/replay?app_id=${encodeURIComponent(trace.app_id)}`);
      await rerender(t('trace.replayed', { id: answer.delivery_id }));
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  });
  return button;
}

export async function renderTrace(appId, traceId, options) {
  let trace;
  try {
    trace = await getJson(`/api/moderate/trace/${encodeURIComponent(traceId)}`, { app_id: appId });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return h('section', { id: 'trace' }, h('a', { href: '#/' }, t('trace.back')), h('p', { class: 'notice' }, `${error.code}: ${error.message}`));
    throw error;
  }
  const header = h('div', { class: 'trace-head' },
    h('h2', { class: 'mono' }, trace.trace_id), statusBadge(trace.status),
    trace.late ? h('span', { class: 'mark mark-late' }, t('mark.late')) : null,
    trace.conflicts.length > 0 ? h('span', { class: 'mark mark-conflict' }, `${t('mark.conflict')} ×${trace.conflicts.length}`) : null,
    trace.callback && trace.callback.duplicates > 0 ? h('span', { class: 'mark mark-duplicate' }, `${t('mark.duplicate')} ×${trace.callback.duplicates}`) : null,
    trace.error ? h('span', { class: 'error-kind' }, trace.error) : null,
    options.canReplay ? replayButton(trace, options.rerender, options.showError) : null);
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, t('traces.app')), h('dd', {}, trace.app_id),
    h('dt', {}, t('traces.destination')), h('dd', { class: 'mono' }, trace.server_uri),
    h('dt', {}, t('traces.registered')), h('dd', {}, formatTime(trace.created_at)),
    h('dt', {}, t('traces.deadline')), h('dd', {}, formatTime(trace.deadline_at)));
  const isOpen = trace.deliveries.some((delivery) => delivery.status === 'pending' || delivery.status === 'delivering');
  return h('section', { id: 'trace', 'data-open': isOpen ? 'true' : 'false' },
    h('a', { href: '#/', class: 'back' }, t('trace.back')),
    options.notice ? h('p', { class: 'notice', id: 'trace-notice' }, options.notice) : null,
    header, facts,
    h('h3', {}, t('trace.timeline')), h('ol', { class: 'timeline', id: 'timeline' }, timelineOf(trace).map(timelineItem)),
    h('h3', {}, t('trace.push')), trace.callback ? h('pre', { class: 'payload', id: 'payload' }, readable(trace.callback)) : h('p', { class: 'muted' }, t('trace.no_push')),
    trace.conflicts.length > 0 ? [h('h3', {}, t('trace.conflicts')), trace.conflicts.map((conflict) => h('pre', { class: 'payload conflict' }, conflict.body))] : null);
}
