import pino, { type Logger } from 'pino';
import type { RelayConfig } from '../config/config-schema.ts';

/**
 * Structured JSON logs; secrets that could ride on a request never reach them.
 * Written to stdout asynchronously: lines issued while a write is in flight go
 * out together in the next one, instead of one blocking write per line on the
 * event loop (the push path logs twice per verdict). Pino flushes what is left
 * when the process exits. The database, not the log, is the record of a push.
 */
export function createRelayLogger(level: RelayConfig['logLevel'], destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'callback-relay' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.encodingAesKey', '*.apiKeys', '*.signingSecrets', '*.scopedApiKeys', '*.tunnelKeys', '*.appSecret', '*.secret', '*.access_token', '*.accessToken', 'headers["x-api-key"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  }, destination ?? pino.destination({ dest: 1, sync: false }));
}
