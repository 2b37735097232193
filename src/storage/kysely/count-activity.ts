import { sql, type RawBuilder } from 'kysely';
import { DeliveryKind, DeliveryStatus } from '../../model/delivery-status.ts';
import type { ActivityBucket } from '../relay-store.ts';
import { num } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/** Bucket number of a timestamp column: floor() whether `/` divides integers (SQLite, PostgreSQL) or not (MySQL). */
function bucketOf(column: string, from: number, bucketMs: number): RawBuilder<number> {
  return sql<number>`floor((${sql.ref(column)} - ${from}) / ${bucketMs})`;
}

/**
 * Counts per time bucket for the activity chart: pushes stored (repeats are not
 * new pushes), callback deliveries that ended delivered or failed, and timeout
 * notices created (one per trace that timed out). Each count reads a covering
 * index over its time column (migration 0005).
 */
export async function countActivity(db: Db, from: number, to: number, bucketMs: number): Promise<ActivityBucket[]> {
  const [pushes, verdicts, timeouts] = await Promise.all([
    db.selectFrom('relay_callbacks')
      .select((eb) => [bucketOf('received_at', from, bucketMs).as('bucket'), eb.fn.countAll().as('n')])
      .where('received_at', '>=', from).where('received_at', '<', to)
      .groupBy('bucket').execute(),
    db.selectFrom('relay_deliveries')
      .select((eb) => ['status', bucketOf('updated_at', from, bucketMs).as('bucket'), eb.fn.countAll().as('n')])
      .where('kind', '=', DeliveryKind.callback)
      .where('status', 'in', [DeliveryStatus.delivered, DeliveryStatus.failed])
      .where('updated_at', '>=', from).where('updated_at', '<', to)
      .groupBy(['status', 'bucket']).execute(),
    db.selectFrom('relay_deliveries')
      .select((eb) => [bucketOf('created_at', from, bucketMs).as('bucket'), eb.fn.countAll().as('n')])
      .where('kind', '=', DeliveryKind.timeout)
      .where('created_at', '>=', from).where('created_at', '<', to)
      .groupBy('bucket').execute(),
  ]);
  const count = Math.max(1, Math.ceil((to - from) / bucketMs));
  const buckets = Array.from({ length: count }, (_, index): ActivityBucket => ({ start: from + index * bucketMs, pushes: 0, delivered: 0, failed: 0, timedOut: 0 }));
  const at = (bucket: unknown) => buckets[num(bucket)];
  for (const row of pushes) { const bucket = at(row.bucket); if (bucket) bucket.pushes += num(row.n); }
  for (const row of timeouts) { const bucket = at(row.bucket); if (bucket) bucket.timedOut += num(row.n); }
  for (const row of verdicts) {
    const bucket = at(row.bucket);
    if (!bucket) continue;
    if (row.status === DeliveryStatus.delivered) bucket.delivered += num(row.n);
    else bucket.failed += num(row.n);
  }
  return buckets;
}
