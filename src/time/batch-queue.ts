/** The outcome of one queued item, as its batch's flush reports it. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers items into batches for one flush each. The first item starts a flush on
 * the next turn of the event loop, so the items queued in this turn join it; items
 * queued while a flush runs wait and go together in the next. Batches therefore
 * grow with the load, and an idle caller waits for nothing. Each caller's promise
 * settles with its own item's outcome; a flush that throws rejects its whole batch.
 */
export class BatchQueue<T, R> {
  readonly #flushBatch: (items: T[]) => Promise<Array<Settled<R>>>;
  readonly #maxBatch: number;
  #waiting: Array<Waiting<T, R>> = [];
  #isFlushing = false;

  constructor(flushBatch: (items: T[]) => Promise<Array<Settled<R>>>, maxBatch: number) {
    this.#flushBatch = flushBatch;
    this.#maxBatch = maxBatch;
  }

  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (this.#isFlushing) return;
      this.#isFlushing = true;
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      let outcomes: Array<Settled<R>>;
      try {
        outcomes = await this.#flushBatch(batch.map((waiting) => waiting.item));
      } catch (error) {
        outcomes = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok) waiting.resolve(outcome.value);
        else waiting.reject(outcome ? outcome.error : new Error('the batch reported no outcome for this item'));
      });
    }
    this.#isFlushing = false;
  }
}
