import type { TraceRecord } from '../relay-store.ts';
import { toTraceRecord } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/** One trace by its unique key (app_id, trace_id). */
export async function selectTrace(db: Db, appId: string, traceId: string): Promise<TraceRecord | undefined> {
  const row = await traceByKey(db, appId, traceId).executeTakeFirst();
  return row ? toTraceRecord(row) : undefined;
}

/** The query behind selectTrace: a seek on the unique (app_id, trace_id) index. */
export function traceByKey(db: Db, appId: string, traceId: string) {
  return db.selectFrom('relay_traces').selectAll().where('app_id', '=', appId).where('trace_id', '=', traceId);
}
