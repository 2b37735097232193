import { newRowId } from '../row-id.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import type { NewRegistration, RegisterOutcome } from '../relay-store.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import { toTraceRecord } from './row-mappers.ts';
import { adoptParkedForTrace } from './parked-callbacks.ts';
import { selectTrace } from './trace-lookup.ts';
import { insertIgnoring, type Db } from './store-context.ts';

/** Inserts the trace unless (app, trace_id) exists, then adopts a parked callback for it. */
export async function registerTrace(db: Db, traits: DialectTraits, input: NewRegistration, now: number): Promise<RegisterOutcome> {
  const row = {
    id: newRowId(),
    app_id: input.appId,
    trace_id: input.traceId,
    server_uri: input.serverUri,
    status: TraceStatus.pending,
    error: null,
    callback_id: null,
    is_late: 0,
    conflict_count: 0,
    created_at: now,
    updated_at: now,
    deadline_at: input.deadlineAt,
  };
  const inserted = await insertIgnoring(db, traits, 'relay_traces', row);
  if (!inserted) {
    const existing = await selectTrace(db, input.appId, input.traceId);
    if (!existing) throw new Error('trace vanished between insert and read');
    return { kind: existing.serverUri === input.serverUri ? 'existing' : 'conflict', trace: existing };
  }
  const trace = toTraceRecord(row);
  const started = await adoptParkedForTrace(db, trace, now);
  if (!started) return { kind: 'created', trace, adoptedCallback: false };
  const adopted = started ? await selectTrace(db, input.appId, input.traceId) : trace;
  return { kind: 'created', trace: adopted ?? trace, adoptedCallback: started };
}
