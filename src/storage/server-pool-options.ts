/** What the server-backed stores (PostgreSQL, MySQL) take from the config. */
export interface ServerPoolOptions {
  /** The DATABASE_URL, credentials included; never logged as is. */
  url: string;
  /** Most connections this instance keeps open. */
  poolMax: number;
  /** A statement running longer is cancelled by the database, ms. */
  statementTimeoutMs: number;
  /** Longest wait for a connection (new, or a free one from the pool), ms. */
  connectTimeoutMs: number;
  /** Called when an idle pooled connection breaks (database restarted, network cut). */
  onPoolError?: (error: Error) => void;
}
