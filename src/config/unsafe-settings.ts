import type { RelayConfig } from './config-schema.ts';

/** Settings a production relay must not run with, named wherever the relay reports its state. */
export function unsafeSettings(config: RelayConfig): string[] {
  const warnings: string[] = [];
  if (config.acceptUnsignedPushes) warnings.push('RELAY_ACCEPT_UNSIGNED_PUSHES=true: apps without a token accept unsigned pushes from loopback senders (local testing only)');
  return warnings;
}
