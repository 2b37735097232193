import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { RelayDatabase } from '../database-schema.ts';
import type { ClaimScope } from '../relay-store.ts';

/**
 * The deliveries a ClaimScope allows: every non-tunnel destination, tunnel
 * destinations of the connected names, and tunnel deliveries whose wait is over.
 * Tunnel names are `[a-z0-9-]` and stored canonical (`tunnel://name[/path]`), so
 * they hold no LIKE wildcard and need no escaping.
 */
export function inClaimScope(scope: ClaimScope) {
  return (eb: ExpressionBuilder<RelayDatabase, 'relay_deliveries'>): Expression<SqlBool> => eb.or([
    eb('destination', 'not like', 'tunnel:%'),
    eb('created_at', '<=', scope.tunnelWaitEndedAt),
    ...scope.tunnelNames.flatMap((name) => [
      eb('destination', '=', `tunnel://${name}`),
      eb('destination', 'like', `tunnel://${name}/%`),
    ]),
  ]);
}

/** A `tunnel://` destination, carried by whichever instance its listener is connected to. */
export function isTunnelDestination(destination: string): boolean {
  return destination.startsWith('tunnel:');
}
