import { newRowId } from '../row-id.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { IngestOutcome, type IncomingCallback, type IngestLease, type IngestResult, type TraceRecord } from '../relay-store.ts';
import { CallbackState } from '../../model/callback-state.ts';
import { STATUSES_ACCEPTING_CALLBACK } from '../../model/trace-status.ts';
import { selectTrace } from './trace-lookup.ts';
import { startCallbackDelivery, startFollowUpDelivery } from './start-delivery.ts';
import { startRouteDeliveries } from './start-route-deliveries.ts';
import { insertIgnoring, type Db } from './store-context.ts';
import { affectedRows, QueryTemplate } from './query-template.ts';

function initialState(input: IncomingCallback, trace: TraceRecord | undefined): CallbackState {
  if (input.correlationId === null) return input.routes && input.routes.length > 0 ? CallbackState.routed : CallbackState.unrouted;
  return trace ? CallbackState.matched : CallbackState.parked;
}

/**
 * Stores a push exactly once per (app, dedupe key). A repeat with the same
 * fingerprint only bumps a counter; one with another fingerprint is kept as a
 * conflict on the trace and never forwarded. A push with a dedupe key of its own
 * for a trace that has had its push (a provider's further push under one id, told
 * apart by its message id or body) is forwarded as well: see startFollowUpDelivery.
 * WeChat's pushes are keyed by the trace id itself, so theirs never are.
 */
export async function ingestCallback(db: Db, traits: DialectTraits, input: IncomingCallback, now: number, parkedUntil: number, lease?: IngestLease): Promise<IngestResult> {
  const result = await storeCallback(db, traits, input, now, parkedUntil, lease);
  return typeof result === 'string' ? { outcome: result, claim: null } : result;
}

async function storeCallback(db: Db, traits: DialectTraits, input: IncomingCallback, now: number, parkedUntil: number, lease?: IngestLease): Promise<IngestOutcome | IngestResult> {
  const trace = input.correlationId === null ? undefined : await selectTrace(db, input.appId, input.correlationId);
  const state = initialState(input, trace);
  const id = newRowId();
  const row = {
    id,
    app_id: input.appId,
    correlation_id: input.correlationId,
    dedupe_key: input.dedupeKey,
    event: input.event,
    content_type: input.contentType,
    body: input.body,
    fingerprint: input.fingerprint,
    state,
    duplicate_count: 0,
    received_at: now,
    parked_until: state === CallbackState.parked ? parkedUntil : null,
  };
  if (!(await insertCallbackOnce(db, traits, row))) return recordRepeat(db, traits, input, row, now);
  if (state === CallbackState.unrouted) return IngestOutcome.unrouted;
  if (state === CallbackState.routed) {
    await startRouteDeliveries(db, row, input.routes ?? [], now);
    return IngestOutcome.routed;
  }
  if (state === CallbackState.parked || !trace) return IngestOutcome.parked;
  const first = STATUSES_ACCEPTING_CALLBACK.includes(trace.status) ? await startCallbackDelivery(db, trace, row, now, lease) : undefined;
  // Not the trace's first push, or another push became its first since it was read.
  const { isLate, claim } = first?.started ? first : await startFollowUpDelivery(db, trace, row, now, lease);
  return { outcome: isLate ? IngestOutcome.late : IngestOutcome.forwarded, claim };
}

type CallbackColumn = 'id' | 'app_id' | 'correlation_id' | 'dedupe_key' | 'event' | 'content_type' | 'body' | 'fingerprint' | 'state' | 'duplicate_count' | 'received_at' | 'parked_until';
const CALLBACK_COLUMNS: readonly CallbackColumn[] = ['id', 'app_id', 'correlation_id', 'dedupe_key', 'event', 'content_type', 'body', 'fingerprint', 'state', 'duplicate_count', 'received_at', 'parked_until'];
const callbackValues = (slot: (name: CallbackColumn) => never) => Object.fromEntries(CALLBACK_COLUMNS.map((column) => [column, slot(column)])) as never;
/** Every push inserts its callback unless (app, dedupe key) holds one already: compiled once per form. */
const INSERT_CALLBACK = {
  onConflict: new QueryTemplate<CallbackColumn>((db, slot) => db.insertInto('relay_callbacks').values(callbackValues(slot)).onConflict((conflict) => conflict.doNothing())),
  ignore: new QueryTemplate<CallbackColumn>((db, slot) => db.insertInto('relay_callbacks').values(callbackValues(slot)).ignore()),
};

/** Inserts the callback unless it is a repeat; returns whether it was inserted. */
async function insertCallbackOnce(db: Db, traits: DialectTraits, row: Record<CallbackColumn, unknown>): Promise<boolean> {
  const template = traits.supportsOnConflict ? INSERT_CALLBACK.onConflict : INSERT_CALLBACK.ignore;
  return affectedRows(await template.execute(db, row)) > 0;
}

async function recordRepeat(db: Db, traits: DialectTraits, input: IncomingCallback, row: { id: string } & Record<string, unknown>, now: number): Promise<IngestOutcome> {
  const original = await db.selectFrom('relay_callbacks').select(['id', 'fingerprint'])
    .where('app_id', '=', input.appId).where('dedupe_key', '=', input.dedupeKey).executeTakeFirstOrThrow();
  if (original.fingerprint === input.fingerprint) {
    await db.updateTable('relay_callbacks').set((eb) => ({ duplicate_count: eb('duplicate_count', '+', 1) })).where('id', '=', original.id).execute();
    return IngestOutcome.duplicate;
  }
  // Keep each distinct conflicting verdict once, for the record.
  const conflictRow = { ...row, dedupe_key: `${input.dedupeKey}#${input.fingerprint}`, state: CallbackState.conflict, parked_until: null, received_at: now };
  await insertIgnoring(db, traits, 'relay_callbacks', conflictRow as never);
  const trace = input.correlationId === null ? undefined : await selectTrace(db, input.appId, input.correlationId);
  return noteConflict(db, trace, IngestOutcome.conflict);
}

async function noteConflict(db: Db, trace: TraceRecord | undefined, outcome: IngestOutcome): Promise<IngestOutcome> {
  if (trace) {
    await db.updateTable('relay_traces').set((eb) => ({ conflict_count: eb('conflict_count', '+', 1) })).where('id', '=', trace.pk).execute();
  }
  return outcome;
}
