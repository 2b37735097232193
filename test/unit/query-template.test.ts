import { describe, expect, it } from 'vitest';
import { QueryTemplate } from '../../src/storage/kysely/query-template.ts';
import { traceByKey } from '../../src/storage/kysely/trace-lookup.ts';
import { compilingDb } from '../helpers/query-plans.ts';

/** A template gives, for any values, exactly what Kysely would have compiled from them. */
describe('QueryTemplate', () => {
  const update = new QueryTemplate<'pk' | 'now' | 'late'>((db, slot) => db.updateTable('relay_traces')
    .set({ status: 'delivering', updated_at: slot('now'), is_late: slot('late'), error: null })
    .where('id', '=', slot('pk'))
    .where('status', 'in', ['pending', 'timed_out']));
  const lookup = new QueryTemplate<'appId' | 'traceId'>((db, slot) => traceByKey(db, slot('appId'), slot('traceId')));

  for (const backend of ['sqlite', 'postgres', 'mysql'] as const) {
    it(`matches the builder's own SQL and parameters on ${backend}, constants kept in place`, () => {
      const db = compilingDb(backend);
      for (const [pk, now, late] of [['t-1', 1, 0], ['t-\u0000odd', 1_800_000_000_000, 1]] as const) {
        const direct = db.updateTable('relay_traces').set({ status: 'delivering', updated_at: now, is_late: late, error: null })
          .where('id', '=', pk).where('status', 'in', ['pending', 'timed_out']).compile();
        const templated = update.compile(db, { pk, now, late });
        expect(templated.sql).toBe(direct.sql);
        expect(templated.parameters).toEqual(direct.parameters);
      }
      const direct = traceByKey(db, 'wx1', 'trace-9').compile();
      expect(lookup.compile(db, { appId: 'wx1', traceId: 'trace-9' })).toMatchObject({ sql: direct.sql, parameters: direct.parameters });
    });
  }

  it('keeps one shape per dialect', () => {
    const sqlite = lookup.compile(compilingDb('sqlite'), { appId: 'a', traceId: 'b' });
    const postgres = lookup.compile(compilingDb('postgres'), { appId: 'a', traceId: 'b' });
    const mysql = lookup.compile(compilingDb('mysql'), { appId: 'a', traceId: 'b' });
    expect(postgres.sql).toContain('$1');
    expect(mysql.sql).toContain('`relay_traces`');
    expect(sqlite.sql).not.toBe(postgres.sql);
  });
});
