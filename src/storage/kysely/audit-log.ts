import type { AuditEntry } from '../relay-store.ts';
import { num } from './row-mappers.ts';
import type { Db } from './store-context.ts';

const MAX_DETAIL_CHARS = 2000;

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insertInto('relay_audit_log').values({
    id: entry.id,
    at: entry.at,
    actor: entry.actor.slice(0, 128),
    action: entry.action,
    app_id: entry.appId,
    trace_id: entry.traceId,
    delivery_id: entry.deliveryId,
    detail: entry.detail === null ? null : JSON.stringify(entry.detail).slice(0, MAX_DETAIL_CHARS),
  }).execute();
}

export async function listAudit(db: Db, limit: number, before?: number): Promise<AuditEntry[]> {
  let query = db.selectFrom('relay_audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit);
  if (before !== undefined) query = query.where('at', '<', before);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    at: num(row.at),
    actor: row.actor,
    action: row.action,
    appId: row.app_id,
    traceId: row.trace_id,
    deliveryId: row.delivery_id,
    detail: parseDetail(row.detail),
  }));
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Cut at the size limit: still worth showing as text.
    return { text };
  }
}
