export * from './wait.js';
export * from './ports.js';
export * from './child-process.js';
export { NatsServer, type NatsServerOptions } from './nats-server.js';
export { RedisServer, type RedisServerOptions } from './redis-server.js';
export { TestClient, type TestClientOptions, type Closed } from './ws-client.js';
export { RedisCluster, type RedisClusterNode, type RedisClusterOptions } from './redis-cluster.js';
export {
  NatsSuperCluster,
  type GatewayTraffic,
  type NatsRegionSpec,
  type NatsSuperClusterOptions,
  type StreamCopy,
  untilPlaced,
  waitForStreamReplicas,
  type StreamReplicaInfo,
} from './nats-super-cluster.js';
