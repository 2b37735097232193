import { formatTime, t } from './i18n.js';
import { h, svg } from './dom.js';

const SERIES = [
  { key: 'pushes', label: 'activity.pushes', className: 's-pushes' },
  { key: 'delivered', label: 'activity.delivered', className: 's-delivered' },
  { key: 'failed', label: 'activity.failed', className: 's-failed' },
  { key: 'timed_out', label: 'activity.timed_out', className: 's-timed-out' },
];

const WIDTH = 720;
const HEIGHT = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };

/** Counts over time as an inline SVG line chart, with a legend that carries the totals. */
export function activityChart(activity) {
  const buckets = activity.buckets;
  const max = Math.max(1, ...buckets.flatMap((bucket) => SERIES.map((series) => bucket[series.key])));
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index) => PAD.left + (buckets.length <= 1 ? innerWidth / 2 : (index / (buckets.length - 1)) * innerWidth);
  const y = (value) => PAD.top + innerHeight - (value / max) * innerHeight;
  const lines = SERIES.map((series) => svg('polyline', {
    class: `line ${series.className}`,
    points: buckets.map((bucket, index) => `${x(index).toFixed(1)},${y(bucket[series.key]).toFixed(1)}`).join(' '),
  }));
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
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': t('activity.title'), class: 'chart' }, grid, lines, labels);
  const legend = h('ul', { class: 'legend' }, SERIES.map((series) => h('li', { class: series.className, 'data-series': series.key },
    h('span', { class: 'swatch' }), `${t(series.label)} `, h('strong', {}, buckets.reduce((sum, bucket) => sum + bucket[series.key], 0)))));
  return h('div', { class: 'activity' }, chart, legend);
}
