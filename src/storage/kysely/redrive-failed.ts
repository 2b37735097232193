import { sql, type SelectQueryBuilder } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import type { RedriveCursor, RedriveFilter, RedrivePage } from '../relay-store.ts';
import { TraceStatus } from '../../model/trace-status.ts';
import { requeueCallback } from './replay-trace.ts';
import { num, toTraceRecord } from './row-mappers.ts';
import type { Db } from './store-context.ts';

type TraceQuery<O> = SelectQueryBuilder<RelayDatabase, 'relay_traces', O>;

/** `substr` is spelled the same on SQLite, PostgreSQL and MySQL; LIKE would need escaping. */
const startsWith = (prefix: string) => sql<boolean>`substr(server_uri, 1, ${prefix.length}) = ${prefix}`;

function applyFilter<O>(query: TraceQuery<O>, filter: RedriveFilter): TraceQuery<O> {
  let narrowed = query.where('status', '=', TraceStatus.failed).where('callback_id', 'is not', null);
  if (filter.appIds) narrowed = narrowed.where('app_id', 'in', filter.appIds.length > 0 ? [...filter.appIds] : ['']);
  if (filter.destinationPrefix !== undefined) narrowed = narrowed.where(startsWith(filter.destinationPrefix));
  const scope = filter.scopePrefixes;
  if (scope) narrowed = narrowed.where((eb) => eb.or(scope.map(startsWith)));
  if (filter.since !== undefined) narrowed = narrowed.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) narrowed = narrowed.where('created_at', '<', filter.until);
  return narrowed;
}

export async function countRedrivable(db: Db, filter: RedriveFilter): Promise<number> {
  const row = await applyFilter(db.selectFrom('relay_traces').select((eb) => eb.fn.countAll().as('n')), filter).executeTakeFirstOrThrow();
  return num(row.n);
}

/**
 * One page of a redrive, in registration order after the cursor: each failed
 * trace goes back to `delivering` with a new delivery of its stored callback.
 * Keyset paging keeps every page an index range, however large the time range.
 */
export async function redriveFailedPage(db: Db, traits: DialectTraits, filter: RedriveFilter, after: RedriveCursor | null, limit: number, actor: string, now: number): Promise<RedrivePage> {
  let query = applyFilter(db.selectFrom('relay_traces').selectAll(), filter);
  if (after) {
    query = query.where((eb) => eb.or([
      eb('created_at', '>', after.createdAt),
      eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.pk)]),
    ]));
  }
  query = query.orderBy('created_at').orderBy('id').limit(limit);
  if (traits.supportsSkipLocked) query = query.forUpdate().skipLocked();
  const rows = await query.execute();
  let redriven = 0;
  for (const row of rows) {
    if (await requeueCallback(db, toTraceRecord(row), 'redrive', actor, now)) redriven += 1;
  }
  const last = rows.at(-1);
  return { scanned: rows.length, redriven, next: rows.length < limit || !last ? null : { createdAt: num(last.created_at), pk: last.id } };
}
