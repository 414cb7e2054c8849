export {
  loadGatewayConfig,
  DEFAULT_REACTIONS,
  type GatewayConfig,
  type Mode,
} from './base/config.js';
export { Gateway } from './gateway.js';
export type { GatewayDeps } from './gateway-deps.js';
export { startEmbedded, type Embedded } from './embedded.js';
