// The SQLite store's own thread. node:sqlite is synchronous: run on the main
// thread, every statement and every commit's fsync would stop the HTTP server
// with it. Here they stop only this thread, and group commit gathers the calls
// that arrive meanwhile into the next transaction.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from './open-sqlite-store.ts';
import { serializeError, STORE_CALLS, type SqliteThreadData, type StoreAnswer, type StoreCall } from './sqlite-thread-protocol.ts';

const SERVED = new Set<string>([...STORE_CALLS, 'close']);

const port = parentPort;
if (!port) throw new Error('sqlite-thread.ts runs as a worker thread of the relay');
const data = workerData as SqliteThreadData;
const store = openSqliteStore({ filename: data.filename, synchronous: data.synchronous }) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

port.on('message', (call: StoreCall) => {
  void answer(call).then((message) => port.postMessage(message));
});

async function answer(call: StoreCall): Promise<StoreAnswer> {
  try {
    const method = store[call.method];
    if (!SERVED.has(call.method) || typeof method !== 'function') throw new TypeError(`the SQLite store has no method ${call.method}`);
    return { id: call.id, ok: true, value: await method.apply(store, call.args) };
  } catch (error) {
    return { id: call.id, ok: false, error: serializeError(error) };
  }
}
