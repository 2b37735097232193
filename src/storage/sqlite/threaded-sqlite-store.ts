import { Worker } from 'node:worker_threads';
import type {
  ActivityBucket, AdoptPage, AttemptRecord, AttemptVerdict, AuditEntry, Backlog, CallbackDetail, CallbackFilter, CallbackSummary,
  ClaimedDelivery, ClaimScope, DestinationHealth, IncomingCallback, IngestLease, IngestOutcome, IngestResult, NewRegistration, ParkedCursor, PendingCursor,
  PurgeCounts, RedriveCursor, RedriveFilter, RedrivePage, RegisterOutcome, RelayStore, ReplayOutcome,
  TimeoutNoticeBuilder, TraceCursor, TraceDetail, TraceFilter, TracePage, TraceRecord,
} from '../relay-store.ts';
import type { SqliteOptions } from './open-sqlite-store.ts';
import type { FileHold } from './sqlite-file-hold.ts';
import { deserializeError, noticeBuilderName, type SqliteThreadData, type StoreAnswer } from './sqlite-thread-protocol.ts';

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

/**
 * The SQLite store, run on a thread of its own (see sqlite-thread.ts). Each
 * method is one message; the thread answers when the call's transaction has
 * committed, so a resolved write is as durable as on the main thread.
 */
export class ThreadedSqliteStore implements RelayStore {
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
    this.#worker = new Worker(hooks.threadUrl ?? new URL('./sqlite-thread.ts', import.meta.url), { workerData: data });
    // Idle, the thread must not keep the process alive; a call in flight must.
    this.#worker.unref();
    this.#worker.on('message', (answer: StoreAnswer) => this.#settle(answer));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the SQLite store thread stopped (exit code ${code})`)));
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
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

  migrate(): Promise<void> { return this.#call('migrate'); }
  ping(): Promise<void> { return this.#call('ping'); }
  register(input: NewRegistration, now: number): Promise<RegisterOutcome> { return this.#call('register', input, now); }
  ingestCallback(input: IncomingCallback, now: number, parkedUntil: number): Promise<IngestOutcome> { return this.#call('ingestCallback', input, now, parkedUntil); }
  ingestAndLease(input: IncomingCallback, now: number, parkedUntil: number, lease: IngestLease): Promise<IngestResult> { return this.#call('ingestAndLease', input, now, parkedUntil, lease); }
  claimDueDeliveries(owner: string, now: number, leaseMs: number, limit: number, scope?: ClaimScope): Promise<ClaimedDelivery[]> { return this.#call('claimDueDeliveries', owner, now, leaseMs, limit, scope); }
  releaseClaim(claim: ClaimedDelivery, retryAt: number, now: number): Promise<boolean> { return this.#call('releaseClaim', claim, retryAt, now); }
  completeAttempt(claim: ClaimedDelivery, record: AttemptRecord, verdict: AttemptVerdict, now: number): Promise<boolean> { return this.#call('completeAttempt', claim, record, verdict, now); }
  async expireOverdue(now: number, limit: number, notice: TimeoutNoticeBuilder): Promise<number> { return this.#call('expireOverdue', now, limit, noticeBuilderName(notice)); }
  adoptParkedCallbacks(from: ParkedCursor | null, limit: number, now: number): Promise<AdoptPage> { return this.#call('adoptParkedCallbacks', from, limit, now); }
  adoptParkedFor(appId: string, traceId: string, now: number): Promise<boolean> { return this.#call('adoptParkedFor', appId, traceId, now); }
  expireParked(now: number, limit: number): Promise<number> { return this.#call('expireParked', now, limit); }
  nextDueAt(scope?: ClaimScope): Promise<number | null> { return this.#call('nextDueAt', scope); }
  purgeRetired(cutoff: number, limit: number): Promise<PurgeCounts> { return this.#call('purgeRetired', cutoff, limit); }
  listPendingTraces(after: PendingCursor | null, limit: number): Promise<TraceRecord[]> { return this.#call('listPendingTraces', after, limit); }
  getTrace(appId: string, traceId: string): Promise<TraceDetail | undefined> { return this.#call('getTrace', appId, traceId); }
  listCallbacks(filter: CallbackFilter): Promise<CallbackSummary[]> { return this.#call('listCallbacks', filter); }
  getCallback(id: string): Promise<CallbackDetail | undefined> { return this.#call('getCallback', id); }
  countBacklog(now: number): Promise<Backlog> { return this.#call('countBacklog', now); }
  listTraces(filter: TraceFilter, after: TraceCursor | null, limit: number): Promise<TracePage> { return this.#call('listTraces', filter, after, limit); }
  summarizeDestinations(since: number, limit: number): Promise<DestinationHealth[]> { return this.#call('summarizeDestinations', since, limit); }
  countActivity(from: number, to: number, bucketMs: number): Promise<ActivityBucket[]> { return this.#call('countActivity', from, to, bucketMs); }
  async replayTrace(appId: string, traceId: string, actor: string, now: number, notice: TimeoutNoticeBuilder): Promise<ReplayOutcome> { return this.#call('replayTrace', appId, traceId, actor, now, noticeBuilderName(notice)); }
  countRedrivable(filter: RedriveFilter): Promise<number> { return this.#call('countRedrivable', filter); }
  redriveFailedPage(filter: RedriveFilter, after: RedriveCursor | null, limit: number, actor: string, now: number): Promise<RedrivePage> { return this.#call('redriveFailedPage', filter, after, limit, actor, now); }
  recordAudit(entry: AuditEntry): Promise<void> { return this.#call('recordAudit', entry); }
  listAudit(limit: number, before?: number): Promise<AuditEntry[]> { return this.#call('listAudit', limit, before); }

  async close(): Promise<void> {
    if (!this.#failure) await this.#call('close');
    this.#isClosing = true;
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
    this.#hooks.hold?.release();
    this.#fail(new Error('the SQLite store is closed'));
  }
}
