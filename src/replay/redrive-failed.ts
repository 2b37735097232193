import { newRowId } from '../storage/row-id.ts';
import type { Clock } from '../time/clock.ts';
import type { RedriveCursor, RedriveFilter, Administration } from '../storage/relay-store.ts';

export interface RedriveResult {
  matched: number;
  redriven: number;
}

export interface RedriveDeps {
  store: Administration;
  clock: Clock;
  /** Called after each page that queued deliveries, so the worker starts at once. */
  onNewDelivery: () => void;
}

/** Traces per transaction: short writes next to live traffic, bounded memory for any range. */
export const REDRIVE_PAGE_SIZE = 200;

/**
 * Redrives every failed trace the filter matches, one page (one transaction) at a
 * time, and records the act in the audit log. A dry run only counts.
 */
export async function redriveFailed(deps: RedriveDeps, filter: RedriveFilter, isDryRun: boolean, actor: string, pageSize = REDRIVE_PAGE_SIZE): Promise<RedriveResult> {
  const { store, clock } = deps;
  let result: RedriveResult;
  if (isDryRun) {
    result = { matched: await store.countRedrivable(filter), redriven: 0 };
  } else {
    result = { matched: 0, redriven: 0 };
    let cursor: RedriveCursor | null = null;
    do {
      const page = await store.redriveFailedPage(filter, cursor, pageSize, actor, clock.now());
      result.matched += page.scanned;
      result.redriven += page.redriven;
      if (page.redriven > 0) deps.onNewDelivery();
      cursor = page.next;
    } while (cursor);
  }
  await store.recordAudit({
    id: newRowId(), at: clock.now(), actor, action: isDryRun ? 'redrive_dry_run' : 'redrive',
    appId: filter.appIds?.length === 1 ? filter.appIds[0] ?? null : null, traceId: null, deliveryId: null,
    detail: { filter: describeFilter(filter), ...result },
  });
  return result;
}

function describeFilter(filter: RedriveFilter): Record<string, unknown> {
  return {
    app_ids: filter.appIds ?? null,
    destination_prefix: filter.destinationPrefix ?? null,
    scope_prefixes: filter.scopePrefixes ?? null,
    since: filter.since === undefined ? null : new Date(filter.since).toISOString(),
    until: filter.until === undefined ? null : new Date(filter.until).toISOString(),
  };
}
