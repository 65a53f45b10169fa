// The management HTTP API (RabbitMQ's paths and JSON) on its TCP port and, for warrenctl, on a
// Unix socket in the data dir. Placeholder: the listeners come with the management API work.
import type { Broker } from '../broker.js';

export interface ManagementServer {
  /** the TCP port bound (0 when the TCP listener is off) */
  readonly port: number;
  stop(): Promise<void>;
}

export async function startManagement(_broker: Broker): Promise<ManagementServer> {
  return { port: 0, stop: async () => {} };
}
