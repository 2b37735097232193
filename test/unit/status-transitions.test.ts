import { describe, expect, it } from 'vitest';
import { canDeliveryTransition, DeliveryStatus } from '../../src/model/delivery-status.ts';
import { canTransition, STATUSES_ACCEPTING_CALLBACK, TraceStatus } from '../../src/model/trace-status.ts';

describe('trace status transitions', () => {
  const allowed: Array<[string, string]> = [
    ['pending', 'delivering'], ['pending', 'timed_out'], ['timed_out', 'delivering'],
    ['delivering', 'delivered'], ['delivering', 'failed'], ['delivered', 'delivering'], ['failed', 'delivering'],
    // A trace with several deliveries (a source's further pushes) follows the one that finished last.
    ['delivered', 'failed'], ['failed', 'delivered'],
  ];
  const all = Object.values(TraceStatus);
  for (const from of all) {
    for (const to of all) {
      const isAllowed = allowed.some(([a, b]) => a === from && b === to);
      it(`${from} → ${to} is ${isAllowed ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(isAllowed);
      });
    }
  }

  it('accepts a callback only while pending or timed out (late)', () => {
    expect([...STATUSES_ACCEPTING_CALLBACK].sort()).toEqual(['pending', 'timed_out']);
  });
});

describe('delivery status transitions', () => {
  it('claims pending work, reclaims an expired lease, and never leaves a final state', () => {
    expect(canDeliveryTransition(DeliveryStatus.pending, DeliveryStatus.delivering)).toBe(true);
    expect(canDeliveryTransition(DeliveryStatus.delivering, DeliveryStatus.delivering)).toBe(true);
    expect(canDeliveryTransition(DeliveryStatus.delivering, DeliveryStatus.pending)).toBe(true);
    expect(canDeliveryTransition(DeliveryStatus.delivering, DeliveryStatus.delivered)).toBe(true);
    expect(canDeliveryTransition(DeliveryStatus.delivering, DeliveryStatus.failed)).toBe(true);
    expect(canDeliveryTransition(DeliveryStatus.pending, DeliveryStatus.delivered)).toBe(false);
    for (const to of Object.values(DeliveryStatus)) {
      expect(canDeliveryTransition(DeliveryStatus.delivered, to)).toBe(false);
      expect(canDeliveryTransition(DeliveryStatus.failed, to)).toBe(false);
    }
  });
});
