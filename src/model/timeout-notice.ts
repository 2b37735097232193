import { TraceError } from './trace-status.ts';

/** What the notice tells about its trace. */
export interface NoticeSubject {
  traceId: string;
  appId: string;
  createdAt: number;
  deadlineAt: number;
}

/** The body the business server receives when no callback came before the deadline. */
export function buildTimeoutNotice(trace: NoticeSubject, now: number): { contentType: string; body: string } {
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      type: 'callback.timeout',
      trace_id: trace.traceId,
      error: TraceError.wxTimeout,
      app_id: trace.appId,
      registered_at: new Date(trace.createdAt).toISOString(),
      deadline_at: new Date(trace.deadlineAt).toISOString(),
      timed_out_at: new Date(now).toISOString(),
      message: 'No callback arrived before the deadline. If it still arrives, it is forwarded with x-relay-late: true.',
    }),
  };
}
