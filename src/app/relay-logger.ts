import pino, { type Logger } from 'pino';
import type { RelayConfig } from '../config/config-schema.ts';

/** Structured JSON logs; secrets that could ride on a request never reach them. */
export function createRelayLogger(level: RelayConfig['logLevel'], destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'callback-relay' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.encodingAesKey', '*.apiKeys', '*.signingSecrets', '*.scopedApiKeys', '*.tunnelKeys', 'headers["x-api-key"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  }, destination);
}
