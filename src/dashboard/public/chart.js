import { formatTime, t } from './i18n.js';
import { h, svg } from './dom.js';

const SERIES = [
  { key: 'pushes', label: 'activity.pushes', className: 's-pushes' },
  { key: 'delivered', label: 'activity.delivered', className: 's-delivered' },
  { key: 'failed', label: 'activity.failed', className: 's-failed' },
  { key: 'timed_out', label: 'activity.timed_out', className: 's-timed-out' },
];

const WIDTH = 1100;
const HEIGHT = 200;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };

/** Counts over time as inline SVG bars (four per bucket), with a legend that carries the totals. */
export function activityChart(activity) {
  const buckets = activity.buckets;
  const max = Math.max(1, ...buckets.flatMap((bucket) => SERIES.map((series) => bucket[series.key])));
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, (slot * 0.8) / SERIES.length);
  const y = (value) => PAD.top + innerHeight - (value / max) * innerHeight;
  const bars = buckets.flatMap((bucket, index) => SERIES.filter((series) => bucket[series.key] > 0).map((series) => svg('rect', {
    class: `bar ${series.className}`,
    x: (PAD.left + index * slot + slot * 0.1 + SERIES.indexOf(series) * barWidth).toFixed(1),
    y: y(bucket[series.key]).toFixed(1),
    width: barWidth.toFixed(1),
    height: (PAD.top + innerHeight - y(bucket[series.key])).toFixed(1),
  }, svg('title', {}, `${formatTime(bucket.start)} · ${t(series.label)} ${bucket[series.key]}`))));
  const grid = [0, 0.5, 1].map((share) => {
    const value = Math.round(max * share);
    return [svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }), svg('text', { class: 'axis', x: PAD.left - 4, y: y(value) + 4, 'text-anchor': 'end' }, value)];
  });
  const first = buckets[0];
  const last = buckets.at(-1);
  const labels = first && last ? [
    svg('text', { class: 'axis', x: PAD.left, y: HEIGHT - 4 }, formatTime(first.start)),
    svg('text', { class: 'axis', x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' }, formatTime(last.start)),
  ] : [];
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': t('activity.title'), class: 'chart' }, grid, bars, labels);
  const legend = h('ul', { class: 'legend' }, SERIES.map((series) => h('li', { class: series.className, 'data-series': series.key },
    h('span', { class: 'swatch' }), `${t(series.label)} `, h('strong', {}, buckets.reduce((sum, bucket) => sum + bucket[series.key], 0)))));
  return h('div', { class: 'activity' }, chart, legend);
}
