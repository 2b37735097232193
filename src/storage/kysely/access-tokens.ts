import type { AccessTokenRecord, RenewedToken } from '../access-token-store.ts';
import type { DialectTraits } from '../dialect-traits.ts';
import { num } from './row-mappers.ts';
import { changedRows, insertIgnoring, type Db } from './store-context.ts';

const MAX_ERROR_CHARS = 500;

export async function readAccessToken(db: Db, appId: string): Promise<AccessTokenRecord | undefined> {
  const row = await db.selectFrom('relay_access_tokens').selectAll().where('app_id', '=', appId).executeTakeFirst();
  if (!row) return undefined;
  const orNull = (value: number | string | bigint | null) => (value === null ? null : num(value));
  return {
    appId: row.app_id,
    token: row.access_token,
    expiresAt: orNull(row.expires_at),
    fetchedAt: orNull(row.fetched_at),
    lastError: row.last_error,
    lastErrorAt: orNull(row.last_error_at),
    forcedAt: orNull(row.forced_at),
    forcedDay: orNull(row.forced_day),
    forcedCount: num(row.forced_count),
  };
}

/**
 * The lease is a conditional update of the app's row, so two instances cannot both hold
 * it; the very first claim inserts the row already leased. Update first, insert only when
 * there is no row: an insert that meets an existing row and then updates it takes a shared
 * lock before an exclusive one, which two instances turn into a deadlock on InnoDB.
 */
export async function claimTokenRenewal(db: Db, traits: DialectTraits, appId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const result = await db.updateTable('relay_access_tokens')
    .set({ renew_owner: owner, renew_until: now + leaseMs })
    .where('app_id', '=', appId)
    .where((eb) => eb.or([eb('renew_until', 'is', null), eb('renew_until', '<', now), eb('renew_owner', '=', owner)]))
    .executeTakeFirst();
  if (changedRows(result) > 0) return true;
  return insertIgnoring(db, traits, 'relay_access_tokens', { app_id: appId, renew_owner: owner, renew_until: now + leaseMs, forced_count: 0 });
}

export async function saveAccessToken(db: Db, appId: string, owner: string, renewed: RenewedToken, now: number): Promise<boolean> {
  const result = await db.updateTable('relay_access_tokens')
    .set({
      access_token: renewed.token,
      expires_at: renewed.expiresAt,
      fetched_at: now,
      renew_owner: null,
      renew_until: null,
      last_error: null,
      last_error_at: null,
      ...(renewed.forced ? { forced_at: now, forced_day: renewed.forced.day, forced_count: renewed.forced.count } : {}),
    })
    .where('app_id', '=', appId)
    .where('renew_owner', '=', owner)
    .executeTakeFirst();
  return changedRows(result) > 0;
}

export async function recordTokenFailure(db: Db, appId: string, owner: string, error: string, now: number): Promise<void> {
  await db.updateTable('relay_access_tokens')
    .set({ last_error: error.slice(0, MAX_ERROR_CHARS), last_error_at: now, renew_owner: null, renew_until: null })
    .where('app_id', '=', appId)
    .where('renew_owner', '=', owner)
    .execute();
}
