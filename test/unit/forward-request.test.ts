import { describe, expect, it } from 'vitest';
import { buildForwardRequest, UnsendableDeliveryError } from '../../src/delivery/forward-request.ts';
import type { ClaimedDelivery } from '../../src/storage/relay-store.ts';

const claim: ClaimedDelivery = {
  id: 'd1', tracePk: 't1', appId: 'wx1', traceId: 'trace-1', routeName: null, kind: 'callback',
  destination: 'http://127.0.0.1:1/cb', contentType: 'application/json', body: '{"trace_id":"trace-1"}',
  isLate: false, attempt: 1, leaseOwner: 'w', createdAt: 0, deadlineAt: 0,
};

describe('the forward request', () => {
  it('sends the stored body byte for byte', () => {
    expect(buildForwardRequest(claim, [], 1_800_000_000_000).body.toString('utf8')).toBe(claim.body);
  });

  it('refuses a delivery whose push is no longer stored rather than sending it empty', () => {
    expect(() => buildForwardRequest({ ...claim, body: null }, [], 1_800_000_000_000)).toThrow(UnsendableDeliveryError);
  });
});
