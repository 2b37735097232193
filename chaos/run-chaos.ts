// `npm run chaos`: faults under a steady stream of registrations and pushes,
// counted per trace id. Goal in every case: 0 acknowledged pushes lost.
// CHAOS_CASES=kill,pg-two,… runs only the cases named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResults } from '../bench/lib/report.ts';
import { DATABASE_RESTART_CASES } from './cases/database-restart.ts';
import { REDIS_CASES } from './cases/redis-faults.ts';
import { SINGLE_RELAY_CASES } from './cases/single-relay.ts';
import { TWO_INSTANCE_CASES } from './cases/two-instances.ts';
import type { CaseOutcome } from './lib/chaos-case.ts';
import { ServiceUnavailable } from './lib/services.ts';

const CASES = [...SINGLE_RELAY_CASES, ...TWO_INSTANCE_CASES, ...REDIS_CASES, ...DATABASE_RESTART_CASES];

function selectedCases(): typeof CASES {
  const only = process.env.CHAOS_CASES?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (!only) return CASES;
  const unknown = only.filter((name) => !CASES.some((chaosCase) => chaosCase.name === name));
  if (unknown.length > 0) throw new Error(`CHAOS_CASES: unknown ${unknown.join(', ')}; known: ${CASES.map((chaosCase) => chaosCase.name).join(', ')}`);
  return CASES.filter((chaosCase) => only.includes(chaosCase.name));
}

function row(outcome: CaseOutcome): string {
  if (outcome.skipped) return `| ${outcome.name} | — | — | — | — | — | **skipped**: ${outcome.skipped} |`;
  const lost = outcome.lost === 0 ? '0' : `**${outcome.lost}**`;
  return `| ${outcome.name} | ${outcome.sent} | ${outcome.acknowledged} | ${outcome.forwarded} | ${lost} | ${outcome.forwardedTwice} | ${outcome.notes} |`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-chaos-'));
  const outcomes: CaseOutcome[] = [];
  try {
    for (const chaosCase of selectedCases()) {
      console.log(`chaos: ${chaosCase.name}: ${chaosCase.title}`);
      try {
        outcomes.push(await chaosCase.run(dir));
      } catch (error) {
        if (!(error instanceof ServiceUnavailable)) throw error;
        console.error(`\n!!!!! chaos case ${chaosCase.name} SKIPPED: ${error.message}\n`);
        outcomes.push({ name: chaosCase.title, sent: 0, acknowledged: 0, forwarded: 0, lost: 0, forwardedTwice: 0, notes: '', skipped: error.message.replace(/\s+/g, ' ').replace(/\|/g, '/') });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = ['| case | sent | acknowledged | forwarded | lost | forwarded twice | notes |', '| --- | --- | --- | --- | --- | --- | --- |', ...outcomes.map(row)];
  const table = lines.join('\n');
  console.log(`\n${table}`);
  appendResults('bench/RESULTS.md', 'Chaos', `Goal: 0 acknowledged pushes lost; duplicates only for attempts in flight at the fault; nothing answered as stored while the database is down.\n\n${table}`);
  if (outcomes.some((outcome) => outcome.lost > 0 || (outcome.breaches ?? 0) > 0)) process.exitCode = 1;
}

await main();
