// Starts a broker for a test file: an in-process Warren on a free port with a temporary data dir,
// or, when WARREN_TEST_AMQP_URL is set (e.g. amqp://guest:guest@127.0.0.1:5682/%2F), an external
// broker such as the reference RabbitMQ, so the same tests can be checked against the real thing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:PORT/%2F */
  url: string;
  host: string;
  port: number;
  /** true when the tests run against an external broker (no in-process Warren) */
  external: boolean;
  /** the in-process Warren (undefined for an external broker) */
  warren?: import('../../src/broker.js').Broker;
  /** the in-process Warren's data dir (its Unix socket for warrenctl is <dataDir>/warren.sock) */
  dataDir?: string;
  stop(): Promise<void>;
}

let seq = 0;
/** A name unique across test files and runs, so tests can share one external broker. */
export function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq}`;
}

export async function startBroker(options: Record<string, unknown> = {}): Promise<TestBroker> {
  const externalUrl = process.env.WARREN_TEST_AMQP_URL;
  if (externalUrl) {
    const u = new URL(externalUrl);
    return {
      url: externalUrl,
      host: u.hostname,
      port: Number(u.port || 5672),
      external: true,
      stop: async () => {},
    };
  }
  const { Broker } = await import('../../src/index.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'warren-test-'));
  const broker = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', managementPort: 0, ...options });
  return {
    url: `amqp://guest:guest@127.0.0.1:${broker.port}/%2F`,
    host: '127.0.0.1',
    port: broker.port,
    external: false,
    warren: broker,
    dataDir,
    stop: async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
