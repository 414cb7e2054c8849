// Bare uWebSockets.js: the floor a uWS-based server cannot go below. A join subscribes the
// socket to its stream's topic; a chat is decoded once, re-encoded once and published to the
// topic, so uWS's C++ loop writes it to every subscriber (the protocol: bare-uws.mjs).
import { serveBareUws } from './bare-uws.mjs';

const app = serveBareUws('uws', (stream, eventJson) => app.publish(stream, eventJson, false));
