// rabbitmqctl identifies queues, connections and channels by Erlang process ids
// ("<rabbit@host.1658.2345.0>"), and close_connection takes one. The management API has no pids,
// so warrenctl derives a stable pid-shaped id from the object's API name: the same object always
// gets the same id, and close_connection finds a connection again by it.

/** FNV-1a, 32 bits: a small stable hash, not a security measure. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A pid-shaped id for an object of a kind ('queue', 'connection', 'channel') with this name. */
export function pidFor(node: string, kind: string, name: string): string {
  const h = fnv1a(`${kind}\0${name}`);
  // three numbers, as Erlang prints a pid; the high and low halves of the hash
  return `<${node}.${h >>> 16}.${h & 0xffff}.0>`;
}
