// Loopback source addresses for the load generators. One address and destination give ~28k
// ephemeral ports, and connections the bench closes sit in TIME_WAIT on the client side for a
// minute, so every batch of connections gets addresses never used before in this run (and a
// random second octet per run, so a rerun within the minute does not collide either).
const base = 16 + Math.floor(Math.random() * 224);
let next = 0;

function addressAt(i) {
  return `127.${base}.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

/** `count` fresh addresses. */
export function freshAddresses(count) {
  const list = Array.from({ length: count }, (_, i) => addressAt(next + i));
  next += count;
  return list;
}

/** Addresses for `connections`, each carrying at most `perAddress` of them. */
export function addressesFor(connections, perAddress = 2000) {
  return {
    addresses: freshAddresses(Math.max(1, Math.ceil(connections / perAddress))),
    perAddress,
  };
}
