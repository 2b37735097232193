import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RelayStore } from '../relay-store.ts';
import type { SqliteOptions } from './open-sqlite-store.ts';
import type { FileHold } from './sqlite-file-hold.ts';
import { deserializeError, STORE_CALLS, type SqliteThreadData, type StoreAnswer, type StoreCallName } from './sqlite-thread-protocol.ts';

export interface SqliteThreadHooks {
  /**
   * The thread stopped without being asked to (it crashed): every call fails from
   * now on. Called once; the relay exits so that its supervisor starts it again.
   */
  onBroken?: (error: Error) => void;
  /** The thread's script; tests put a failing one in its place. */
  threadUrl?: URL;
  /** This process's hold on the file, released when the store closes. */
  hold?: FileHold;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Every store call is a message to the thread: the methods come from STORE_CALLS (see the class's static block). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the methods are defined from one list, not written out
export interface ThreadedSqliteStore extends Pick<RelayStore, StoreCallName> {}

/**
 * The SQLite store, run on a thread of its own (see sqlite-thread.ts). Each
 * method is one message; the thread answers when the call's transaction has
 * committed, so a resolved write is as durable as on the main thread.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class ThreadedSqliteStore implements RelayStore {
  static {
    for (const method of STORE_CALLS) {
      Object.defineProperty(this.prototype, method, {
        value(this: ThreadedSqliteStore, ...args: unknown[]) {
          return this.#call(method, ...args);
        },
      });
    }
  }

  readonly dialect = 'sqlite';
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #failure: Error | undefined;
  #isClosing = false;
  readonly #hooks: SqliteThreadHooks;

  constructor(options: SqliteOptions, hooks: SqliteThreadHooks = {}) {
    this.#hooks = hooks;
    const data: SqliteThreadData = { filename: options.filename, synchronous: options.synchronous };
    // The thread's module beside this one, as source (.ts) or as the published package's build (.js).
    this.#worker = new Worker(hooks.threadUrl ?? new URL(`./sqlite-thread${extname(import.meta.url)}`, import.meta.url), { workerData: data });
    // Idle, the thread must not keep the process alive; a call in flight must.
    this.#worker.unref();
    this.#worker.on('message', (answer: StoreAnswer) => this.#settle(answer));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the SQLite store thread stopped (exit code ${code})`)));
  }

  #call<T>(method: StoreCallName | 'close', ...args: unknown[]): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args });
    });
  }

  #settle(answer: StoreAnswer): void {
    const call = this.#pending.get(answer.id);
    if (!call) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (answer.ok) call.resolve(answer.value);
    else call.reject(deserializeError(answer.error));
  }

  #fail(error: Error): void {
    if (!this.#failure && !this.#isClosing) this.#hooks.onBroken?.(error);
    this.#failure ??= error;
    for (const call of this.#pending.values()) call.reject(this.#failure);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    if (!this.#failure) await this.#call('close');
    this.#isClosing = true;
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
    this.#hooks.hold?.release();
    this.#fail(new Error('the SQLite store is closed'));
  }
}
