import { newRowId } from '../row-id.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import type { AttemptCompletion } from '../relay-store.ts';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import { TRACE_STATUSES_NO_DELIVERY_FINISHES, TraceStatus } from '../../model/trace-status.ts';
import type { Db } from './store-context.ts';

export const MAX_ERROR_CHARS = 500;

/**
 * Records many attempts in one transaction and a few statements: one read of the
 * deliveries' leases (locked on a server database), one multi-row insert of every
 * attempt (always: it happened), one update per verdict for the deliveries whose
 * claim still holds the lease, one for the traces they deliver. A claim whose lease
 * ran out changes nothing, so a slow worker cannot overwrite the instance that took
 * over. Returns, per completion in order, whether its verdict was applied.
 */
export async function completeAttempts(db: Db, traits: DialectTraits, completions: readonly AttemptCompletion[], now: number): Promise<boolean[]> {
  if (completions.length === 0) return [];
  const holding = await completionsHoldingTheLease(db, traits, completions);
  await db.insertInto('relay_attempts').values(completions.map(({ claim, record }) => ({
    id: newRowId(),
    delivery_id: claim.id,
    trace_pk: claim.tracePk,
    attempt_no: claim.attempt,
    started_at: record.startedAt,
    duration_ms: Math.round(record.durationMs),
    http_status: record.httpStatus,
    outcome: record.outcome,
    error_message: record.errorMessage?.slice(0, MAX_ERROR_CHARS) ?? null,
    response_excerpt: record.responseExcerpt,
  }))).execute();
  const applied = completions.filter((_, index) => holding.has(index));
  await finishDeliveries(db, applied, now);
  // Trace rows are locked last, after the deliveries, as every other transaction that takes both does.
  await finishTraces(db, applied, now);
  return completions.map((_, index) => holding.has(index));
}

/**
 * The indexes of the completions whose claim still holds its delivery's lease, read
 * (and on a server, locked) in id order. A delivery completed twice in one batch
 * counts once, for the first.
 */
async function completionsHoldingTheLease(db: Db, traits: DialectTraits, completions: readonly AttemptCompletion[]): Promise<Set<number>> {
  const ids = [...new Set(completions.map(({ claim }) => claim.id))].sort();
  const rows = new Map((await selectLeases(db, traits, ids).execute()).map((row) => [row.id, row]));
  const holding = new Set<number>();
  const seen = new Set<string>();
  completions.forEach(({ claim }, index) => {
    const row = rows.get(claim.id);
    if (!row || seen.has(claim.id)) return;
    seen.add(claim.id);
    if (row.status === DeliveryStatus.delivering && row.lease_owner === claim.leaseOwner && Number(row.attempt_count) === claim.attempt) holding.add(index);
  });
  return holding;
}

/** The leases of some deliveries, by primary key; locked on a server database (the ones that skip locked rows when claiming: SQLite has one writer). */
export function selectLeases(db: Db, traits: DialectTraits, ids: readonly string[]) {
  const query = db.selectFrom('relay_deliveries').select(['id', 'status', 'lease_owner', 'attempt_count']).where('id', 'in', ids);
  return traits.supportsSkipLocked ? query.forUpdate() : query;
}

async function finishDeliveries(db: Db, applied: readonly AttemptCompletion[], now: number): Promise<void> {
  const idsWith = (kind: 'delivered' | 'failed') => applied.filter(({ verdict }) => verdict.kind === kind).map(({ claim }) => claim.id);
  for (const [kind, status] of [['delivered', DeliveryStatus.delivered], ['failed', DeliveryStatus.failed]] as const) {
    const ids = idsWith(kind);
    if (ids.length === 0) continue;
    await db.updateTable('relay_deliveries').set({ status, next_attempt_at: now, lease_owner: null, updated_at: now }).where('id', 'in', ids).execute();
  }
  // Each retry has its own time: one statement each (retries are the exception, not the flow).
  for (const { claim, verdict } of applied) {
    if (verdict.kind !== 'retry') continue;
    await db.updateTable('relay_deliveries').set({ status: DeliveryStatus.pending, next_attempt_at: verdict.nextAttemptAt, lease_owner: null, updated_at: now }).where('id', '=', claim.id).execute();
  }
}

/**
 * Only the callback's delivery decides the trace's status; a timeout notice leaves it
 * timed_out. A trace with several pushes (a source's further pushes under one id) has
 * several deliveries: its status follows the one that finished last.
 */
async function finishTraces(db: Db, applied: readonly AttemptCompletion[], now: number): Promise<void> {
  const deciding = applied.filter(({ claim, verdict }) => claim.kind === DeliveryKind.callback && claim.tracePk !== null && verdict.kind !== 'retry');
  const delivered = deciding.filter(({ verdict }) => verdict.kind === 'delivered').map(({ claim }) => claim.tracePk!);
  if (delivered.length > 0) await markTracesDelivered(db, [...new Set(delivered)].sort(), now).execute();
  for (const { claim, verdict } of deciding) {
    if (verdict.kind !== 'failed') continue;
    await db.updateTable('relay_traces').set({ status: TraceStatus.failed, error: verdict.traceError, updated_at: now })
      .where('id', '=', claim.tracePk!).where('status', 'not in', TRACE_STATUSES_NO_DELIVERY_FINISHES).execute();
  }
}

/**
 * Traces whose callback was delivered, by primary key. The statuses a delivery does
 * not finish from are excluded rather than those it does named: named, they were an
 * index range every planner here preferred to the keys (the query-plan test).
 */
export function markTracesDelivered(db: Db, tracePks: readonly string[], now: number) {
  return db.updateTable('relay_traces').set({ status: TraceStatus.delivered, error: null, updated_at: now })
    .where('id', 'in', tracePks).where('status', 'not in', TRACE_STATUSES_NO_DELIVERY_FINISHES);
}
