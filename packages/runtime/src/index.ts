export * from './env.js';
export * from './log.js';
export * from './shutdown.js';
export * from './shared-settings.js';
export * from './api-keys.js';
