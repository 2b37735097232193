import type { DialectTraits } from '../dialect-traits.ts';
import type { ClaimedDelivery, ClaimScope } from '../relay-store.ts';
import { DeliveryStatus, type DeliveryKind } from '../../model/delivery-status.ts';
import type { Db } from './store-context.ts';
import { num } from './row-mappers.ts';
import { inClaimScope } from './claim-scope.ts';

const OPEN = [DeliveryStatus.pending, DeliveryStatus.delivering];

/**
 * Due deliveries of one status in (next_attempt_at) order: a range of the
 * (status, next_attempt_at) index, read in its order and cut at the limit. No
 * second sort key: one the index does not hold made the database read and sort
 * the whole due backlog on every claim (12 ms for 9 k due rows on PostgreSQL).
 * A delivery created at ingest is due at its creation time, so this order is
 * arrival order to the millisecond.
 */
export function selectDueWithStatus(db: Db, traits: DialectTraits, status: string, now: number, limit: number, scope: ClaimScope | undefined) {
  let candidates = db.selectFrom('relay_deliveries')
    .select(['id', 'next_attempt_at'])
    .where('status', '=', status)
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit);
  if (scope) candidates = candidates.where(inClaimScope(scope));
  if (traits.supportsSkipLocked) candidates = candidates.forUpdate().skipLocked();
  return candidates;
}

/** The earliest next_attempt_at among open deliveries (each status one end of its index range). */
export function selectNextDue(db: Db, status: string, scope: ClaimScope | undefined) {
  let query = db.selectFrom('relay_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('due'))
    .where('status', '=', status);
  // Deliveries waiting for a listener are due but not claimable here: counting them would spin the worker.
  if (scope) query = query.where(inClaimScope(scope));
  return query;
}

/** Earliest `next_attempt_at` among open deliveries, or null. */
export async function nextDueAt(db: Db, scope: ClaimScope | undefined): Promise<number | null> {
  let earliest: number | null = null;
  for (const status of OPEN) {
    const due = (await selectNextDue(db, status, scope).executeTakeFirst())?.due;
    if (due !== null && due !== undefined && (earliest === null || num(due) < earliest)) earliest = num(due);
  }
  return earliest;
}

/**
 * Leases due deliveries in a fixed number of statements, whatever the batch size:
 * one read per open status, one update of every row chosen, one read of what the
 * claim now holds. A leased row's `next_attempt_at` is its lease end, so one
 * indexed range finds both due retries and leases abandoned by a dead worker. The
 * rows read cannot change before the update: a server database locks them (and
 * other instances skip them), SQLite has one writer. The update still names the
 * due condition, and the last read takes only rows this claim leased, so a row
 * that is somehow no longer due is left alone rather than taken twice.
 */
export async function claimDueDeliveries(db: Db, traits: DialectTraits, owner: string, now: number, leaseMs: number, limit: number, scope?: ClaimScope): Promise<ClaimedDelivery[]> {
  // One indexed range per status, each read in (next_attempt_at) order and cut at
  // the limit: with IN (…) the database would collect and sort the whole backlog.
  const open = [];
  for (const status of OPEN) open.push(...await selectDueWithStatus(db, traits, status, now, limit, scope).execute());
  const due = open
    .sort((a, b) => num(a.next_attempt_at) - num(b.next_attempt_at))
    .slice(0, limit);
  if (due.length === 0) return [];
  const leaseEnd = now + leaseMs;
  const ids = due.map((row) => row.id);
  await db.updateTable('relay_deliveries')
    .set((eb) => ({ status: DeliveryStatus.delivering, lease_owner: owner, next_attempt_at: leaseEnd, attempt_count: eb('attempt_count', '+', 1), updated_at: now }))
    .where('id', 'in', ids)
    .where('status', 'in', OPEN)
    .where('next_attempt_at', '<=', now)
    .execute();
  // Left joins: a routed delivery has no trace and carries its own app and rule; a
  // timeout notice has no push and carries its own body.
  const rows = await db.selectFrom('relay_deliveries as d')
    .leftJoin('relay_traces as t', 't.id', 'd.trace_pk')
    .leftJoin('relay_callbacks as c', 'c.id', 'd.callback_id')
    .select(['d.id', 'd.trace_pk', 'd.kind', 'd.destination', 'd.content_type', 'd.is_late', 'd.created_at', 'd.attempt_count', 't.app_id', 't.trace_id', 'd.app_id as delivery_app_id', 'd.route_name', 't.deadline_at'])
    .select((eb) => eb.fn.coalesce('d.body', 'c.body').as('body'))
    .where('d.id', 'in', ids)
    .where('d.status', '=', DeliveryStatus.delivering)
    .where('d.lease_owner', '=', owner)
    .where('d.next_attempt_at', '=', leaseEnd)
    .execute();
  // Hand the claims over oldest first, as they were chosen: a dev tunnel sends them in this order.
  const rank = new Map(ids.map((id, index) => [id, index]));
  rows.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
  return rows.map((row) => ({
    id: row.id,
    tracePk: row.trace_pk,
    appId: row.app_id ?? row.delivery_app_id ?? '',
    traceId: row.trace_id,
    routeName: row.route_name,
    kind: row.kind as DeliveryKind,
    destination: row.destination,
    contentType: row.content_type,
    body: row.body,
    isLate: num(row.is_late) === 1,
    attempt: num(row.attempt_count),
    leaseOwner: owner,
    createdAt: num(row.created_at),
    deadlineAt: num(row.deadline_at),
  }));
}
