export { loadWebhooksConfig, type WebhooksConfig } from './config.js';
