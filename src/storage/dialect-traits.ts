import type { AttemptCompletion, IncomingCallback, IngestLease, IngestResult } from './relay-store.ts';

/**
 * What differs between databases, named as capabilities so the shared store code
 * never asks "which dialect is this?".
 */
export interface DialectTraits {
  /** Short name for logs, metrics and /readyz. */
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** `SELECT … FOR UPDATE SKIP LOCKED` lets several instances claim work without blocking each other. */
  readonly supportsSkipLocked: boolean;
  /** `INSERT … ON CONFLICT DO NOTHING` (else MySQL's `INSERT IGNORE`). */
  readonly supportsOnConflict: boolean;
  /**
   * Concurrent write transactions are merged into one commit (one fsync). For a
   * single-writer database; pooled servers commit concurrently on their own.
   */
  readonly groupsCommits: boolean;
  /** Column type for push bodies up to the push body limit (MySQL's TEXT stops at 64 KiB). */
  readonly largeTextType: 'text' | 'mediumtext';
  /**
   * Collation that compares ids byte for byte, for databases whose default does not
   * (MySQL's `utf8mb4_general_ci` would make `ABC` and `abc` one trace). Unset: the default is binary.
   */
  readonly binaryCollation?: string;
  /**
   * Characters of a long text column an index may hold (MySQL keys stop at 3072 bytes, so a
   * `varchar(2048)` is indexed by its first characters). Unset: the whole column.
   */
  readonly indexPrefixChars?: number;
  /**
   * How a NOT NULL column is made nullable: in place (`ALTER COLUMN … DROP NOT NULL`),
   * by restating its type (`MODIFY`), or, where neither exists, by rebuilding the table.
   */
  readonly relaxesNotNullBy: 'alter-column' | 'modify-column' | 'rebuilding-the-table';
  /** An index name is unique per table, not per schema, so DROP INDEX names its table (MySQL). */
  readonly indexNamesPerTable?: boolean;
  /**
   * Without ingestInBatches: the common pushes are stored in batches all the same,
   * one transaction of four statements per batch (see ingest-in-one-transaction),
   * a savepoint of the shared commit where commits are grouped. Unset with neither:
   * every push takes the general ingest transaction.
   */
  readonly batchesIngest?: boolean;
  /**
   * Stores the common pushes (for a trace that waits for it, or for an id nobody
   * registered) in batches, each push with those that arrive with it, in one
   * statement (PostgreSQL's data-modifying WITH). Answers null for any other push,
   * having changed nothing of it.
   */
  readonly ingestInBatches?: (input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease | undefined) => Promise<IngestResult | null>;
  /**
   * Records the common completion batch (every attempt delivered) in one statement
   * outside any transaction, returning per completion whether it was applied, or
   * returns null having changed nothing. Unset: every batch takes the general transaction.
   */
  readonly completeInOneStatement?: (completions: readonly AttemptCompletion[], now: number) => Promise<boolean[] | null>;
  /**
   * Gives the planner statistics for relay tables that have never had any (a new
   * or restored database), run after migrating. Without them PostgreSQL guesses a
   * handful of rows for every equality and may read a status index's whole range,
   * sort a due backlog or read a table, until autovacuum's first pass. Unset: the
   * database keeps its statistics itself.
   */
  readonly analyzeNeverAnalyzed?: () => Promise<void>;
}
