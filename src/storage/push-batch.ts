import type { ClaimedDelivery, IncomingCallback, IngestLease, IngestResult } from './relay-store.ts';
import { newRowId } from './row-id.ts';
import { BatchQueue, type Settled } from '../time/batch-queue.ts';
import { DeliveryKind } from '../model/delivery-status.ts';

/** One push of a batch, with the row ids it will have if it is stored. */
export interface Push {
  input: IncomingCallback & { correlationId: string };
  now: number;
  parkedUntil: number;
  lease: IngestLease | undefined;
  callbackId: string;
  deliveryId: string;
}

/** What a batch did with a push it handed to its trace. */
export interface StartedPush {
  tracePk: string;
  serverUri: string;
  deadlineAt: number;
  isLate: boolean;
  /** Its delivery was leased to the ingesting worker (not for a dev tunnel). */
  isLeased: boolean;
}

/** A batch's answer per push, in the batch's order: its result, or null for the general path. */
export type FlushBatch = (batch: readonly Push[]) => Promise<Array<IngestResult | null>>;

/** The result of a push a batch handed to its trace, with the claim when its delivery was leased here. */
export function startedResult(push: Push, started: StartedPush): IngestResult {
  const outcome = started.isLate ? 'late' : 'forwarded';
  const { input, lease } = push;
  if (!started.isLeased || !lease) return { outcome, claim: null };
  const claim: ClaimedDelivery = {
    id: push.deliveryId, tracePk: started.tracePk, appId: input.appId, traceId: input.correlationId, routeName: null, kind: DeliveryKind.callback,
    destination: started.serverUri, contentType: input.contentType, body: input.body, isLate: started.isLate,
    attempt: 1, leaseOwner: lease.owner, createdAt: push.now, deadlineAt: started.deadlineAt,
  };
  return { outcome, claim };
}

/**
 * Two pushes for one trace (or one dedupe key) must not meet in one batch: both
 * would see the trace waiting. The first of each goes in; a later one is answered
 * null and takes the general path after the batch has committed, where it is seen
 * for what it is (a repeat or a conflict).
 */
function firstOfEachKey(pushes: readonly Push[]): boolean[] {
  const seen = new Set<string>();
  return pushes.map(({ input }) => {
    const trace = `t\u0000${input.appId}\u0000${input.correlationId}`;
    const dedupe = `d\u0000${input.appId}\u0000${input.dedupeKey}`;
    if (seen.has(trace) || seen.has(dedupe)) return false;
    seen.add(trace).add(dedupe);
    return true;
  });
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** (app, trace id) order: every batch locks its traces in this one order, so two batches cannot deadlock each other. */
const byKey = (a: Push, b: Push): number => compare(a.input.appId, b.input.appId) || compare(a.input.correlationId, b.input.correlationId);

/**
 * A batch is atomic: if it fails (a deadlock with another kind of transaction, a
 * lock wait cancelled, the database gone), nothing of it was stored, and each push
 * is answered null, to be stored by the general path one by one; with the database
 * gone that fails too, and the push is not acknowledged. If the batch did commit
 * but its answer was lost with the connection, the general path finds each push
 * stored and answers it as a repeat; its delivery, leased to no live hand-off, is
 * claimed again when the lease runs out.
 */
async function flushAdmitted(flush: FlushBatch, pushes: readonly Push[]): Promise<Array<IngestResult | null>> {
  const admitted = firstOfEachKey(pushes);
  const batch = pushes.filter((_, index) => admitted[index]).sort(byKey);
  let answers: Array<IngestResult | null>;
  try {
    answers = await flush(batch);
  } catch {
    return pushes.map(() => null);
  }
  const results = new Map(batch.map((push, index) => [push, answers[index] ?? null]));
  return pushes.map((push) => results.get(push) ?? null);
}

/**
 * Stores the two common pushes (the first for a trace that waits for it, one for an
 * id nobody registered) with the pushes that arrive with it, in one batch; null for
 * any other push, having changed nothing: the caller then runs the general ingest.
 * Pushes gather as completions do (BatchQueue): a push waits at most for the batch
 * in flight, and an idle relay sends each alone at once.
 */
export function batchedIngest(flush: FlushBatch, maxBatch = 256) {
  const queue = new BatchQueue<Push, IngestResult | null>(async (pushes) => {
    const results = await flushAdmitted(flush, pushes);
    return results.map((value): Settled<IngestResult | null> => ({ ok: true, value }));
  }, maxBatch);
  return (input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease | undefined): Promise<IngestResult | null> => {
    if (input.correlationId === null) return Promise.resolve(null);
    return queue.push({ input: { ...input, correlationId: input.correlationId }, now, parkedUntil, lease, callbackId: newRowId(), deliveryId: newRowId() });
  };
}
