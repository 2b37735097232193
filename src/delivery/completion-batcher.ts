import type { AttemptCompletion, DeliveryQueue } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';
import { BatchQueue } from '../time/batch-queue.ts';

/**
 * Records finished attempts many to a transaction (see BatchQueue: batches grow
 * with the load, an idle relay adds no delay). Each caller resolves once its batch
 * is committed; a batch that could not be written rejects every caller, each of
 * which decides whether to try again. Backpressure comes from the worker: a
 * delivery keeps its slot until its attempt is recorded, so at most `concurrency`
 * completions ever wait here. A crash before a batch commits loses no delivery:
 * their leases run out and they are sent again (at-least-once).
 */
export class CompletionBatcher {
  readonly #queue: BatchQueue<AttemptCompletion, boolean>;

  constructor(store: Pick<DeliveryQueue, 'completeAttempts'>, clock: Clock, maxBatch = 256) {
    this.#queue = new BatchQueue(async (completions) => {
      const applied = await store.completeAttempts(completions, clock.now());
      return completions.map((_, index) => ({ ok: true, value: applied[index] === true }));
    }, maxBatch);
  }

  /** Resolves to whether the verdict was applied (false: the lease was lost to another claim). */
  complete(completion: AttemptCompletion): Promise<boolean> {
    return this.#queue.push(completion);
  }
}
