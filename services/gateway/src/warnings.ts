import type { Logger } from '@roar/runtime';
import { anonIdSecret } from './base/anonymous.js';
import type { GatewayConfig } from './base/config.js';
import { isLoopbackHost } from './base/config-checks.js';

/** Loud warnings at start for settings that are fine on a laptop and wrong anywhere else. */
export function warnInsecure(
  config: Pick<
    GatewayConfig,
    | 'devLogin'
    | 'devLoginRoles'
    | 'mode'
    | 'anonIdSecret'
    | 'jwtSecret'
    | 'metricsToken'
    | 'host'
    | 'admissionTicketSecret'
  >,
  log: Logger,
): void {
  if (config.devLogin) {
    log.warn(
      '*** DEV LOGIN IS ON: anyone who can reach this port can mint tokens at POST /dev/token ' +
        `(roles: ${config.devLoginRoles === 'any' ? 'ANY, including admin' : 'demo roles for one stream'}). ` +
        'Development only: configure a JWT key and it turns off. ***',
    );
  }
  if (config.mode === 'gateway' && !anonIdSecret(config).shared) {
    log.warn(
      'anonymous viewers get different ids on each gateway and after restarts: set ROAR_ANON_ID_SECRET (or ROAR_JWT_SECRET)',
    );
  }
  if (
    config.mode === 'gateway' &&
    !config.admissionTicketSecret &&
    !config.anonIdSecret &&
    !config.jwtSecret
  ) {
    log.warn(
      'admission tickets count only at the gateway that issued them: set ROAR_ADMISSION_TICKET_SECRET (or ROAR_JWT_SECRET)',
    );
  }
  if (config.metricsToken === undefined && !isLoopbackHost(config.host)) {
    log.warn(
      '/metrics needs no credentials: set ROAR_METRICS_TOKEN, or keep /metrics off the public edge',
    );
  }
}
