import type { Answer, Traffic } from './traffic.ts';

export interface OutageAnswers {
  /** Tries answered `success` (pushes) or 2xx (registrations): the contract forbids any while storage is down. */
  done: number;
  serverErrors: number;
  /** Tries with no HTTP answer at all. */
  unanswered: number;
  other: number;
}

/** Tries sent after `from` and answered before `to`: handled entirely while the service was down. */
export function answersDuring(answers: readonly Answer[], from: number, to: number): OutageAnswers {
  const counts: OutageAnswers = { done: 0, serverErrors: 0, unanswered: 0, other: 0 };
  for (const answer of answers) {
    if (answer.sentAt < from || answer.answeredAt > to) continue;
    if (answer.isDone) counts.done += 1;
    else if (answer.status === null) counts.unanswered += 1;
    else if (answer.status >= 500) counts.serverErrors += 1;
    else counts.other += 1;
  }
  return counts;
}

/**
 * Registers `count` traces now (while all is well), and returns a function that
 * pushes them spread over `spanMs`, as WeChat would push verdicts that come due
 * during an outage. The traffic loops alone push little then: they stall on
 * registration first.
 */
export async function preparePushes(traffic: Traffic, count: number): Promise<(spanMs: number) => Promise<void>> {
  const traceIds = Array.from({ length: count }, () => traffic.nextTraceId());
  const registered = (await Promise.all(traceIds.map(async (traceId) => ((await traffic.register(traceId)) ? traceId : undefined))))
    .filter((traceId) => traceId !== undefined);
  return (spanMs) => Promise.all(registered.map(async (traceId, index) => {
    await new Promise((resolve) => setTimeout(resolve, (index * spanMs) / registered.length));
    await traffic.push(traceId);
  })).then(() => undefined);
}

/** One line for the notes: what the tries during the outage got. */
export function describeOutage(what: string, counts: OutageAnswers): string {
  const parts = [`${counts.serverErrors} 5xx`];
  if (counts.unanswered > 0) parts.push(`${counts.unanswered} unanswered`);
  if (counts.other > 0) parts.push(`${counts.other} other`);
  parts.push(counts.done === 0 ? '0 success' : `**${counts.done} success**`);
  return `${what}: ${parts.join(', ')}`;
}
