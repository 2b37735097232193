/** A database server of the run's own, so a case may crash it and start it again. */
export interface PrivateDatabase {
  /** DATABASE_URL for the relay. */
  readonly url: string;
  /** How `crash()` stops the server, for the case's notes. */
  readonly crashHow: string;
  /** Stops the server without a clean shutdown. */
  crash(): Promise<void>;
  /** Starts it again on the same port and waits until it serves. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}
