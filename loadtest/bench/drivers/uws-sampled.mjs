// servers/uws-sampled.mjs speaks the bare uWS server's protocol (drivers/uws.mjs).
export * from './uws.mjs';
