import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Figure {
  name: string;
  value: string;
  goal: string;
  isMet: boolean | null;
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.versions.node}, SQLite ${process.versions.sqlite ?? '?'}`;
}

export function figuresTable(figures: readonly Figure[]): string {
  const lines = ['| figure | value | goal | met |', '| --- | --- | --- | --- |'];
  for (const figure of figures) lines.push(`| ${figure.name} | ${figure.value} | ${figure.goal} | ${figure.isMet === null ? '—' : figure.isMet ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

/** Appends a dated section to bench/RESULTS.md (created with a header when missing). */
export function appendResults(file: string, title: string, body: string): void {
  if (!existsSync(file)) {
    writeFileSync(file, '# Benchmark results\n\nEach section is one run of `npm run bench` (or `npm run chaos`), newest last. Ratios are against baselines measured in the same run, interleaved.\n');
  }
  appendFileSync(file, `\n## ${title} — ${new Date().toISOString()}\n\nMachine: ${machineLine()}\n\n${body}\n`);
}

/** A small horizontal bar chart as SVG: one group per case, throughput and p99. */
export function barChartSvg(rows: ReadonlyArray<{ label: string; throughput: number; p99Ms: number }>): string {
  const width = 760;
  const barHeight = 18;
  const rowHeight = 56;
  const left = 170;
  const maxThroughput = Math.max(...rows.map((row) => row.throughput), 1);
  const maxP99 = Math.max(...rows.map((row) => row.p99Ms), 1);
  const scale = (value: number, max: number) => ((width - left - 90) * value) / max;
  const escape = (text: string) => text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
  const bars = rows.map((row, index) => {
    const y = 40 + index * rowHeight;
    return [
      `<text x="10" y="${y + 14}" font-size="13">${escape(row.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${scale(row.throughput, maxThroughput).toFixed(1)}" height="${barHeight}" fill="#2b7bb9"/>`,
      `<text x="${left + scale(row.throughput, maxThroughput) + 6}" y="${y + 14}" font-size="12">${Math.round(row.throughput)} req/s</text>`,
      `<rect x="${left}" y="${y + barHeight + 2}" width="${scale(row.p99Ms, maxP99).toFixed(1)}" height="${barHeight - 6}" fill="#e07b39"/>`,
      `<text x="${left + scale(row.p99Ms, maxP99) + 6}" y="${y + barHeight + 12}" font-size="11">p99 ${row.p99Ms.toFixed(1)} ms</text>`,
    ].join('\n');
  });
  const height = 50 + rows.length * rowHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">Push ingest: throughput (blue) and p99 latency (orange), medians</text>
${bars.join('\n')}
</svg>
`;
}
