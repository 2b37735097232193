import type { AttemptCompletion, DeliveryQueue } from '../storage/relay-store.ts';
import type { Clock } from '../time/clock.ts';

interface Waiting {
  completion: AttemptCompletion;
  resolve: (applied: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Records finished attempts many to a transaction. The first attempt to finish
 * starts a flush on the next turn of the event loop; attempts that finish while
 * a flush is being written wait and go together in the next, so batches grow with
 * the load and an idle relay adds no delay. Each caller resolves once its batch is
 * committed. Backpressure comes from the worker: a delivery keeps its slot until
 * its attempt is recorded, so at most `concurrency` completions ever wait here.
 * A crash before a batch commits loses no delivery: their leases run out and they
 * are sent again (at-least-once).
 */
export class CompletionBatcher {
  readonly #store: Pick<DeliveryQueue, 'completeAttempts'>;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  #waiting: Waiting[] = [];
  #isFlushing = false;

  constructor(store: Pick<DeliveryQueue, 'completeAttempts'>, clock: Clock, maxBatch = 256) {
    this.#store = store;
    this.#clock = clock;
    this.#maxBatch = maxBatch;
  }

  /** Resolves to whether the verdict was applied (false: the lease was lost to another claim). */
  complete(completion: AttemptCompletion): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#waiting.push({ completion, resolve, reject });
      if (this.#isFlushing) return;
      this.#isFlushing = true;
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        const applied = await this.#store.completeAttempts(batch.map((item) => item.completion), this.#clock.now());
        batch.forEach((item, index) => item.resolve(applied[index] === true));
      } catch (error) {
        // Nothing of the batch is stored: each caller decides whether to try again.
        for (const item of batch) item.reject(error);
      }
    }
    this.#isFlushing = false;
  }
}
