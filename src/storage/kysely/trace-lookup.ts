import type { Selectable } from 'kysely';
import type { TracesTable } from '../database-schema.ts';
import { QueryTemplate } from './query-template.ts';
import type { TraceRecord } from '../relay-store.ts';
import { toTraceRecord } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/** Every push and registration reads its trace: compiled once. */
const TRACE_BY_KEY = new QueryTemplate<'appId' | 'traceId'>((db, slot) => traceByKey(db, slot('appId'), slot('traceId')));

/** One trace by its unique key (app_id, trace_id). */
export async function selectTrace(db: Db, appId: string, traceId: string): Promise<TraceRecord | undefined> {
  const { rows: [row] } = await TRACE_BY_KEY.execute<Selectable<TracesTable>>(db, { appId, traceId });
  return row ? toTraceRecord(row) : undefined;
}

/** The query behind selectTrace: a seek on the unique (app_id, trace_id) index. */
export function traceByKey(db: Db, appId: string, traceId: string) {
  return db.selectFrom('relay_traces').selectAll().where('app_id', '=', appId).where('trace_id', '=', traceId);
}
