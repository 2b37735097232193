import type { TraceState } from '../sdk/relay-client.ts';
import { CLIENT_HELP, runTraceCommand } from './client-options.ts';

const HELP = `Usage: callback-relay status <trace_id> [--app-id <id>]

Tells what happened to a trace: its status and error, when it was registered and
its deadline, the push, and every forwarding attempt.

  --app-id <id>   which configured mini program (default: the relay's)

${CLIENT_HELP}`;

/** The trace as a few lines a person reads top to bottom. */
export function describeTrace(trace: TraceState): string {
  const marks = [trace.late ? 'late' : '', trace.conflicts.length > 0 ? `${trace.conflicts.length} conflicting push(es)` : ''].filter(Boolean);
  const lines = [
    `${trace.trace_id}  ${trace.status}${trace.error ? ` (${trace.error})` : ''}${marks.length > 0 ? `  [${marks.join(', ')}]` : ''}`,
    `  app          ${trace.app_id}`,
    `  destination  ${trace.server_uri}`,
    `  registered   ${trace.created_at}`,
    `  deadline     ${trace.deadline_at}`,
    `  push         ${trace.callback ? `${trace.callback.received_at}${trace.callback.duplicates > 0 ? ` (repeated ${trace.callback.duplicates}×, forwarded once)` : ''}` : 'none yet'}`,
  ];
  if (trace.attempts.length > 0) lines.push('  attempts');
  for (const attempt of trace.attempts) {
    const answer = attempt.http_status ?? attempt.outcome;
    const excerpt = attempt.response_excerpt ? `  "${attempt.response_excerpt.slice(0, 60).replace(/\s+/g, ' ')}"` : '';
    lines.push(`    ${attempt.at}  ${attempt.kind === 'timeout' ? 'timeout notice' : 'verdict'} #${attempt.attempt}  → ${answer}  ${attempt.duration_ms} ms${excerpt}`);
  }
  for (const delivery of trace.deliveries) {
    if (delivery.next_attempt_at) lines.push(`  next attempt ${delivery.next_attempt_at} (${delivery.kind})`);
  }
  return lines.join('\n');
}

/** `callback-relay status`. */
export function runStatusCommand(args: string[]): Promise<number> {
  return runTraceCommand('status', HELP, args, async (client, traceId, values) => {
    const trace = await client.status(traceId, values.appId);
    console.log(values.json ? JSON.stringify(trace, null, 2) : describeTrace(trace));
  });
}
