import {
  ConfigError,
  EnvReader,
  parseApiKeys,
  readSharedSettings,
  type ApiKey,
  type Env,
  type SharedSettings,
} from '@roar/runtime';
import { readWebhookSettings, type WebhookSettings } from '@roar/webhooks';

/** Everything the webhook process can be told, validated at start (docs/configuration.md). */
export interface WebhooksConfig extends SharedSettings, WebhookSettings {
  adminApiKeys: ApiKey[];
}

/** Reads and checks the configuration; throws `ConfigError` naming the first bad variable. */
export function loadWebhooksConfig(source: Env = process.env): WebhooksConfig {
  const env = new EnvReader(source);
  let adminApiKeys: ApiKey[];
  try {
    adminApiKeys = parseApiKeys(env.optionalString('ROAR_ADMIN_API_KEYS'));
  } catch (error) {
    throw new ConfigError(
      error instanceof Error ? error.message : 'ROAR_ADMIN_API_KEYS is malformed',
    );
  }
  const config: WebhooksConfig = {
    ...readSharedSettings(env),
    ...readWebhookSettings(env),
    adminApiKeys,
  };
  env.rejectUnknown('ROAR_');
  return config;
}
