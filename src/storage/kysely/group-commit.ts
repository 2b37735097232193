import { sql, type Kysely } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { Db } from './store-context.ts';

interface QueuedWork {
  work: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs concurrent write transactions as one database transaction, one savepoint
 * each, so a burst of pushes costs one fsync instead of one per push. Every
 * caller still resolves only after the shared COMMIT; one caller's failure rolls
 * back its own savepoint and no one else's. For a single-writer database (SQLite)
 * whose commits are bound by fsync.
 */
export class GroupCommit {
  readonly #db: Kysely<RelayDatabase>;
  readonly #maxBatch: number;
  #queue: QueuedWork[] = [];
  #isFlushing = false;

  constructor(db: Kysely<RelayDatabase>, maxBatch = 512) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  run<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#isFlushing) {
        this.#isFlushing = true;
        // Let the requests already in this turn of the event loop join the batch.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      const outcomes = await this.#commit(batch);
      batch.forEach((item, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome?.error);
      });
    }
    this.#isFlushing = false;
  }

  async #commit(batch: QueuedWork[]): Promise<Array<{ ok: boolean; value?: unknown; error?: unknown }>> {
    const outcomes: Array<{ ok: boolean; value?: unknown; error?: unknown }> = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const item of batch) {
          await sql`savepoint relay_work`.execute(trx);
          try {
            const value = await item.work(trx);
            await sql`release savepoint relay_work`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to savepoint relay_work`.execute(trx);
            await sql`release savepoint relay_work`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
      return outcomes;
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the batch is durable.
      return batch.map(() => ({ ok: false, error }));
    }
  }
}
