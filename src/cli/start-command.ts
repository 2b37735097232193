import type { Logger } from 'pino';
import { buildApp } from '../app/build-app.ts';
import { createRelayLogger } from '../app/relay-logger.ts';
import type { RelayConfig } from '../config/config-schema.ts';
import { formatDuration } from '../config/duration.ts';
import { loadConfig } from '../config/load-config.ts';
import { maskDatabaseUrl } from '../redaction/url-credentials.ts';

/** `callback-relay start`: runs until SIGTERM/SIGINT, then drains and exits. */
export async function runStartCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createRelayLogger(config.logLevel);
  warnAboutOpenSettings(config, logger);
  let stop: (reason: string, exitCode: number) => void = () => undefined;
  const app = await buildApp({ config, logger, onFatal: () => stop('fatal', 1) });
  try {
    const address = await app.start();
    logger.info({
      address,
      database: maskDatabaseUrl(config.databaseUrl),
      apps: config.apps.map((item) => item.appId),
      roles: config.roles,
      retry_schedule: config.retryScheduleMs.map(formatDuration).join(','),
    }, 'callback-relay started');
  } catch (error) {
    logger.fatal({ err: error }, 'callback-relay could not start');
    console.error(`callback-relay: could not start: ${(error as Error).message}`);
    await app.close().catch(() => undefined);
    return 1;
  }
  return new Promise((resolve) => {
    let isStopping = false;
    stop = (reason, exitCode) => {
      if (isStopping) return;
      isStopping = true;
      logger.info({ signal: reason }, 'stopping: no new requests; finishing attempts in flight');
      app.close().then(() => {
        logger.info('stopped cleanly');
        resolve(exitCode);
      }, (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM', 0));
    process.once('SIGINT', () => stop('SIGINT', 0));
  });
}

function warnAboutOpenSettings(config: RelayConfig, logger: Logger): void {
  if (config.apiKeys.length === 0 && config.scopedApiKeys.length === 0) logger.warn('RELAY_API_KEYS is not set: the registration and admin APIs answer loopback clients only');
  if (config.allowedDestinations.length === 0) logger.warn('RELAY_ALLOWED_DESTINATIONS is not set: a registration may name any http(s) server_uri');
  const tokenless = config.apps.length === 0 ? [config.defaultAppId] : config.apps.filter((app) => !app.token).map((app) => app.appId);
  if (tokenless.length === 0) return;
  if (config.acceptUnsignedPushes) {
    logger.warn({ apps: tokenless }, 'RELAY_ACCEPT_UNSIGNED_PUSHES=true: these apps accept UNSIGNED pushes from loopback senders; for local testing only, never in production');
  } else {
    logger.warn({ apps: tokenless }, 'these apps have no token, so their pushes are refused (403 TOKEN_NOT_CONFIGURED): set WECHAT_APPID and WECHAT_TOKEN to the console\'s Token (or give each app in RELAY_CONFIG its token); for a local trial only, RELAY_ACCEPT_UNSIGNED_PUSHES=true admits unsigned pushes from this machine');
  }
}
