export * from './wait.js';
export * from './ports.js';
export * from './child-process.js';
export { NatsServer, type NatsServerOptions } from './nats-server.js';
export { RedisServer, type RedisServerOptions } from './redis-server.js';
export { TestClient, type TestClientOptions, type Closed } from './ws-client.js';
