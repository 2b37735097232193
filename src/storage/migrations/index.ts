import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect-traits.ts';
import * as initial from './0001-initial.ts';
import * as routedDeliveries from './0002-routed-deliveries.ts';
import * as productionStorage from './0003-production-storage.ts';
import * as replayAudit from './0004-replay-audit.ts';
import * as dashboardIndexes from './0005-dashboard-indexes.ts';
import * as parkedLookupIndex from './0006-parked-lookup-index.ts';
import * as deliveryBodyOnce from './0007-delivery-body-once.ts';
import * as dropTraceCreatedIndex from './0008-drop-trace-created-index.ts';
import * as accessTokens from './0009-access-tokens.ts';

export interface RelayMigration {
  /** Sortable, never reused: shipped migrations are never edited, only followed by new ones. */
  readonly name: string;
  up(db: Kysely<unknown>, traits: DialectTraits): Promise<void>;
}

export const MIGRATIONS: readonly RelayMigration[] = [
  { name: '0001-initial', up: initial.up },
  { name: '0002-routed-deliveries', up: routedDeliveries.up },
  { name: '0003-production-storage', up: productionStorage.up },
  { name: '0004-replay-audit', up: replayAudit.up },
  { name: '0005-dashboard-indexes', up: dashboardIndexes.up },
  { name: '0006-parked-lookup-index', up: parkedLookupIndex.up },
  { name: '0007-delivery-body-once', up: deliveryBodyOnce.up },
  { name: '0008-drop-trace-created-index', up: dropTraceCreatedIndex.up },
  { name: '0009-access-tokens', up: accessTokens.up },
];
