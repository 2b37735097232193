// `npm run chaos`: faults under a steady stream of registrations and pushes,
// counted per trace id. Goal in every case: 0 acknowledged pushes lost.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResults } from '../bench/lib/report.ts';
import { runCase, type CaseOutcome } from './lib/chaos-case.ts';

const only = process.env.CHAOS_CASES?.split(',');
const wanted = (name: string) => !only || only.includes(name);

async function killNine(dir: string): Promise<CaseOutcome> {
  return runCase('kill -9 the relay mid-load, restart it', { DATABASE_URL: `sqlite:${join(dir, 'kill.db')}` }, async (context) => {
    await context.sleep(3000);
    await context.relay()?.child.kill('SIGKILL');
    await context.sleep(500);
    await context.startRelay();
    return 'SIGKILL after 3 s, restarted 0.5 s later on the same database';
  }, { trafficMs: 3000, drainMs: 30_000 });
}

async function businessDown(dir: string): Promise<CaseOutcome> {
  return runCase('the business server down for a stretch, then back', { DATABASE_URL: `sqlite:${join(dir, 'down.db')}` }, async (context) => {
    await context.sleep(2000);
    await context.sink.stop();
    await context.sleep(5000);
    await context.sink.start();
    return 'business server refused connections for 5 s';
  }, { trafficMs: 2000, drainMs: 40_000 });
}

/** SQLite on a tiny tmpfs: writes fail with "database or disk is full", then space returns. */
async function diskFull(): Promise<CaseOutcome> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'relay-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', mountPoint]);
  try {
    mkdirSync(join(mountPoint, 'db'));
    const file = join(mountPoint, 'db', 'relay.db');
    const outcome = await runCase('SQLite on a full filesystem, then space returns', { DATABASE_URL: `sqlite:${file}` }, async (context) => {
      await context.sleep(6000);
      execFileSync('mount', ['-o', 'remount,size=256m', mountPoint]);
      return 'tmpfs of 1.5 MiB filled by the traffic, grown to 256 MiB after 6 s';
    }, { trafficMs: 3000, drainMs: 30_000 });
    const check = execFileSync(process.execPath, ['-e', `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(file)}); console.log(db.prepare('pragma integrity_check').get().integrity_check)`]).toString().trim();
    return { ...outcome, notes: `${outcome.notes}; integrity_check: ${check}` };
  } finally {
    execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-chaos-'));
  const outcomes: CaseOutcome[] = [];
  try {
    if (wanted('kill')) outcomes.push(await killNine(dir));
    if (wanted('business')) outcomes.push(await businessDown(dir));
    if (wanted('disk')) outcomes.push(await diskFull());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = ['| case | sent | acknowledged | forwarded | lost | forwarded twice | notes |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const outcome of outcomes) {
    lines.push(`| ${outcome.name} | ${outcome.sent} | ${outcome.acknowledged} | ${outcome.forwarded} | ${outcome.lost === 0 ? '0' : `**${outcome.lost}**`} | ${outcome.forwardedTwice} | ${outcome.notes} |`);
  }
  const table = lines.join('\n');
  console.log(`\n${table}`);
  appendResults('bench/RESULTS.md', 'Chaos', `Goal: 0 acknowledged pushes lost; duplicates only for attempts in flight at the fault.\n\n${table}`);
  if (outcomes.some((outcome) => outcome.lost > 0)) process.exitCode = 1;
}

await main();
