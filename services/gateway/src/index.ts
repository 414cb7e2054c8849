export {
  loadGatewayConfig,
  DEFAULT_REACTIONS,
  type GatewayConfig,
  type Mode,
} from './base/config.js';
export { Gateway, type GatewayDeps } from './gateway.js';
export { startEmbedded, type Embedded } from './embedded.js';
