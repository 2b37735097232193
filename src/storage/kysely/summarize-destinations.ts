import type { AttemptOutcome } from '../../model/delivery-status.ts';
import { DeliveryStatus } from '../../model/delivery-status.ts';
import type { DestinationHealth } from '../relay-store.ts';
import { num } from './row-mappers.ts';
import type { Db } from './store-context.ts';

/**
 * Health per destination from the attempts made since `since`. The attempts
 * index on started_at bounds the read to the window, so the cost follows recent
 * traffic, not the size of the history.
 */
export async function summarizeDestinations(db: Db, since: number, limit: number): Promise<DestinationHealth[]> {
  const groups = await db.selectFrom('relay_attempts as a')
    .innerJoin('relay_deliveries as d', 'd.id', 'a.delivery_id')
    .select((eb) => [
      'd.destination',
      eb.fn.countAll().as('attempts'),
      eb.fn.sum(eb.case().when('a.outcome', '=', 'success').then(1).else(0).end()).as('successes'),
      eb.fn.max('a.started_at').as('last_at'),
    ])
    .where('a.started_at', '>=', since)
    .groupBy('d.destination')
    .orderBy('last_at', 'desc')
    .limit(limit)
    .execute();
  if (groups.length === 0) return [];
  const destinations = groups.map((group) => group.destination);
  const [lastAttempts, open] = await Promise.all([
    db.selectFrom('relay_attempts as a')
      .innerJoin('relay_deliveries as d', 'd.id', 'a.delivery_id')
      .select(['d.destination', 'a.started_at', 'a.http_status', 'a.outcome'])
      // Exact start times hit the started_at index; the pair is matched below. (A filter on
      // d.destination here tempts SQLite into scanning deliveries, which has no index on it.)
      .where('a.started_at', 'in', groups.map((group) => num(group.last_at)))
      .execute(),
    db.selectFrom('relay_deliveries')
      .select((eb) => ['destination', eb.fn.countAll().as('n')])
      .where('status', 'in', [DeliveryStatus.pending, DeliveryStatus.delivering])
      .where('destination', 'in', destinations)
      .groupBy('destination')
      .execute(),
  ]);
  return groups.map((group): DestinationHealth => {
    const last = lastAttempts.find((row) => row.destination === group.destination && num(row.started_at) === num(group.last_at));
    return {
      destination: group.destination,
      attempts: num(group.attempts),
      successes: num(group.successes ?? 0),
      lastAttemptAt: num(group.last_at),
      lastHttpStatus: last?.http_status === null || last?.http_status === undefined ? null : num(last.http_status),
      lastOutcome: (last?.outcome ?? 'network_error') as AttemptOutcome,
      openDeliveries: num(open.find((row) => row.destination === group.destination)?.n ?? 0),
    };
  });
}
