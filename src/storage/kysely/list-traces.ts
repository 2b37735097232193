import type { TraceCursor, TraceFilter, TracePage } from '../relay-store.ts';
import { toTraceRecord } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/** Sorts after every string a trace id can hold, so `[prefix, prefix + this)` is "starts with". */
const HIGHEST_CHARACTER = '\u{10FFFF}';

/**
 * Keyset paging, newest first: each page continues strictly after the last
 * (created_at, id) seen, so page 1000 costs what page 1 costs and a trace
 * registered meanwhile never shifts or repeats a row. Migration 0005 gives every
 * filter an index ending in (created_at, id).
 */
export async function listTraces(db: Db, filter: TraceFilter, after: TraceCursor | null, limit: number): Promise<TracePage> {
  let query = db.selectFrom('relay_traces').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
  if (filter.destination !== undefined) query = query.where('server_uri', '=', filter.destination);
  if (filter.createdFrom !== undefined) query = query.where('created_at', '>=', filter.createdFrom);
  if (filter.createdTo !== undefined) query = query.where('created_at', '<', filter.createdTo);
  if (filter.traceIdPrefix !== undefined && filter.traceIdPrefix !== '') {
    query = query.where('trace_id', '>=', filter.traceIdPrefix).where('trace_id', '<', filter.traceIdPrefix + HIGHEST_CHARACTER);
  }
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.pk)));
  // One extra row tells whether another page exists without a COUNT over the whole table.
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const traces = rows.slice(0, limit).map(toTraceRecord);
  const last = traces.at(-1);
  return { traces, next: rows.length > limit && last ? { createdAt: last.createdAt, pk: last.pk } : null };
}
