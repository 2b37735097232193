import { DatabaseSync } from 'node:sqlite';
import { openStore } from '../../src/storage/open-store.ts';
import { connectSql } from './sql-client.ts';

/**
 * What a database that has run for a while holds, written by the database itself
 * (INSERT … SELECT over a generated series) so that millions of rows take seconds
 * per table, not an HTTP run of hours. Every row has the columns the relay writes.
 */
export interface HistoryShape {
  /** Pushes for ids nobody registered, parked for the whole grace window. */
  parked: number;
  /** Traces forwarded long ago: each with its push, its delivery (sent with the push's body) and one attempt. */
  delivered: number;
  /** Registrations waiting for their verdict, named `${pendingPrefix}-<n>`. */
  pending: number;
  pendingPrefix: string;
  /** Of the pending registrations, every n-th has a deadline already past (0 = none). */
  expiredEvery?: number;
  serverUri: string;
  now: number;
}

type Dialect = 'sqlite' | 'postgres' | 'mysql';

const dialectOf = (url: string): Dialect => (/^postgres(ql)?:/i.test(url) ? 'postgres' : /^(mysql|mariadb):/i.test(url) ? 'mysql' : 'sqlite');

/** How each database spells the few expressions the seeding needs; `i` is the row number. */
const SPELLING: Record<Dialect, { series(count: number, select: string): string; id(prefix: string): string; text(prefix: string): string }> = {
  // Ids look like the relay's own (36 characters), with a prefix per table so none collide.
  sqlite: {
    series: (count, select) => `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1}) ${select} from n`,
    id: (prefix) => `printf('${prefix}%012x', i)`,
    text: (prefix) => `'${prefix}' || i`,
  },
  postgres: {
    series: (count, select) => `${select} from generate_series(0, ${count - 1}) as n(i)`,
    id: (prefix) => `'${prefix}' || lpad(to_hex(i), 12, '0')`,
    text: (prefix) => `'${prefix}' || i`,
  },
  // MariaDB's built-in sequence tables (seq_0_to_N); MySQL proper has none.
  mysql: {
    series: (count, select) => `${select} from (select seq as i from seq_0_to_${count - 1}) as n`,
    id: (prefix) => `concat('${prefix}', lpad(hex(i), 12, '0'))`,
    text: (prefix) => `concat('${prefix}', i)`,
  },
};

const PREFIX = {
  pendingTrace: '00000000-0000-7000-8000-',
  trace: '00000000-0000-7000-8001-',
  callback: '00000000-0000-7000-8002-',
  delivery: '00000000-0000-7000-8003-',
  attempt: '00000000-0000-7000-8004-',
  parked: '00000000-0000-7000-8005-',
};

/** A push body of the usual size, the same for every seeded row. */
const BODY = '{"ToUserName":"gh_9df7d78a1234","FromUserName":"o4_t144jTUSEoxydysUA2E234_tc","CreateTime":1626959646,"MsgType":"event","Event":"wxa_media_check","appid":"wx8f16a5be77871234","trace_id":"seeded","version":2,"detail":[],"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}';

/** The INSERT … SELECT statements that write `shape`, in the order the rows refer to each other. */
function statements(dialect: Dialect, shape: HistoryShape): string[] {
  const { series, id, text } = SPELLING[dialect];
  const past = shape.now - 3_600_000;
  const uri = `'${shape.serverUri.replace(/'/g, "''")}'`;
  const body = `'${BODY}'`;
  const sql: string[] = [];
  if (shape.delivered > 0) {
    sql.push(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) ${series(shape.delivered,
      `select ${id(PREFIX.trace)}, 'default', ${text('history-')}, ${uri}, 'delivered', null, ${id(PREFIX.callback)}, 0, 0, ${past} + i, ${past} + i, ${past} + 1800000`)}`);
    sql.push(`insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until) ${series(shape.delivered,
      `select ${id(PREFIX.callback)}, 'default', ${text('history-')}, ${text('history-')}, 'wxa_media_check', 'application/json', ${body}, 'f', 'matched', 0, ${past} + i, null`)}`);
    sql.push(`insert into relay_deliveries (id, trace_pk, kind, destination, callback_id, content_type, body, is_late, status, attempt_count, next_attempt_at, lease_owner, created_at, updated_at, source, requested_by, app_id, route_name) ${series(shape.delivered,
      `select ${id(PREFIX.delivery)}, ${id(PREFIX.trace)}, 'callback', ${uri}, ${id(PREFIX.callback)}, 'application/json', null, 0, 'delivered', 1, ${past} + i, null, ${past} + i, ${past} + i, null, null, null, null`)}`);
    sql.push(`insert into relay_attempts (id, delivery_id, trace_pk, attempt_no, started_at, duration_ms, http_status, outcome, error_message, response_excerpt) ${series(shape.delivered,
      `select ${id(PREFIX.attempt)}, ${id(PREFIX.delivery)}, ${id(PREFIX.trace)}, 1, ${past} + i, 3, 200, 'success', null, null`)}`);
  }
  if (shape.parked > 0) {
    sql.push(`insert into relay_callbacks (id, app_id, correlation_id, dedupe_key, event, content_type, body, fingerprint, state, duplicate_count, received_at, parked_until) ${series(shape.parked,
      `select ${id(PREFIX.parked)}, 'default', ${text('parked-')}, ${text('parked-')}, 'wxa_media_check', 'application/json', ${body}, 'f', 'parked', 0, ${shape.now} + i, ${shape.now + 7_200_000}`)}`);
  }
  if (shape.pending > 0) {
    const every = shape.expiredEvery ?? 0;
    const deadline = every > 0 ? `case when i % ${every} = 0 then ${shape.now - 1000} else ${shape.now + 3_600_000} end` : String(shape.now + 3_600_000);
    sql.push(`insert into relay_traces (id, app_id, trace_id, server_uri, status, error, callback_id, is_late, conflict_count, created_at, updated_at, deadline_at) ${series(shape.pending,
      `select ${id(PREFIX.pendingTrace)}, 'default', ${text(`${shape.pendingPrefix}-`)}, ${uri}, 'pending', null, null, 0, 0, ${shape.now}, ${shape.now}, ${deadline}`)}`);
  }
  return sql;
}

/**
 * Migrates the (new, empty) database at `url` with the relay's own migrations and
 * writes `shape` into it, then refreshes the planner's statistics as a database
 * that grew to this size would have them.
 */
export async function seedHistory(url: string, shape: HistoryShape): Promise<void> {
  const store = openStore({ databaseUrl: url, sqliteSynchronous: 'normal' });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    const database = new DatabaseSync(url.replace(/^sqlite:/, ''));
    try {
      // No ANALYZE: the relay never runs it, so its own file has no planner statistics either.
      for (const statement of statements(dialect, shape)) database.exec(statement);
    } finally {
      database.close();
    }
    return;
  }
  const client = await connectSql(url);
  try {
    for (const statement of statements(dialect, shape)) await client.query(statement);
    // Vacuumed and checkpointed as well on PostgreSQL: otherwise autovacuum and the
    // checkpointer work off the bulk insert during the measured rounds.
    for (const table of ['relay_traces', 'relay_callbacks', 'relay_deliveries', 'relay_attempts']) {
      await client.query(dialect === 'postgres' ? `vacuum analyze ${table}` : `analyze table ${table}`);
    }
    if (dialect === 'postgres') await client.query('checkpoint');
  } finally {
    await client.close();
  }
}
