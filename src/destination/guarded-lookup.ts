import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { refusalForAddress, type AddressPolicy } from './address-policy.ts';

/** The shape of `dns.lookup` that `net.connect` calls (callback form, one or all addresses). */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** A send the relay refused before connecting: recorded as outcome `refused`, never retried. */
export class DestinationRefusedError extends Error {
  readonly code = 'RELAY_DESTINATION_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

export function isDestinationRefused(error: unknown): error is DestinationRefusedError {
  for (let current = error as { cause?: unknown; errors?: unknown[] } | undefined, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof DestinationRefusedError) return true;
    const nested = current.errors?.find((item) => item instanceof DestinationRefusedError);
    if (nested) return true;
    current = current.cause as typeof current;
  }
  return false;
}

/**
 * Wraps a resolver so that only permitted addresses ever reach `connect`. The
 * check runs on the very addresses the socket is about to use, so a name that
 * resolves differently at send time than at registration (DNS rebinding) gains nothing.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: LookupFunction = dnsLookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      const all = (addresses as LookupAddress[]).filter(Boolean);
      const permitted = all.filter((item) => refusalForAddress(item.address, policy) === undefined);
      if (permitted.length === 0) {
        const first = all[0];
        const why = first ? `${first.address} is ${refusalForAddress(first.address, policy)}` : 'it has no address';
        return callback(new DestinationRefusedError(`refused to connect to ${hostname}: ${why}`), options.all ? [] : '');
      }
      if (options.all) return callback(null, permitted);
      const chosen = permitted[0] as LookupAddress;
      return callback(null, chosen.address, chosen.family);
    });
  };
}
