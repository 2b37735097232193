import { sql, type Kysely } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { Db } from './store-context.ts';
import { BatchQueue, type Settled } from '../../time/batch-queue.ts';

/**
 * Runs concurrent write transactions as one database transaction, one savepoint
 * each, so a burst of pushes costs one fsync instead of one per push. Every
 * caller still resolves only after the shared COMMIT; one caller's failure rolls
 * back its own savepoint and no one else's. For a single-writer database (SQLite)
 * whose commits are bound by fsync.
 */
export class GroupCommit {
  readonly #db: Kysely<RelayDatabase>;
  readonly #queue: BatchQueue<(trx: Db) => Promise<unknown>, unknown>;

  constructor(db: Kysely<RelayDatabase>, maxBatch = 512) {
    this.#db = db;
    this.#queue = new BatchQueue((works) => this.#commit(works), maxBatch);
  }

  run<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return this.#queue.push(work) as Promise<T>;
  }

  async #commit(batch: Array<(trx: Db) => Promise<unknown>>): Promise<Array<Settled<unknown>>> {
    const outcomes: Array<Settled<unknown>> = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const work of batch) {
          await sql`savepoint relay_work`.execute(trx);
          try {
            const value = await work(trx);
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
