// The `warren` command: runs the broker in the foreground as this process.
//   warren [--port N] [--host H] [--data-dir DIR] [--management-port N (0 = off)] [--log-level LEVEL]
// SIGTERM / SIGINT close every connection with 320 CONNECTION_FORCED, finish, and exit 0.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Broker } from './broker.js';
import type { LogLevel } from './log.js';

const USAGE =
  'usage: warren [--port N] [--host H] [--data-dir DIR] [--management-port N] [--log-level fatal|error|warn|info|debug|trace|silent] [--disk-free-limit BYTES] [--vm-memory-high-watermark FRACTION|BYTES]';
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function die(reason: string): never {
  process.stderr.write(`Error: ${reason}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): {
  port: number;
  host?: string;
  dataDir: string;
  logLevel: LogLevel;
  diskFreeLimit?: number;
  vmMemoryHighWatermark?: number;
  managementPort: number;
} {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'management-port': { type: 'string' },
        'log-level': { type: 'string' },
        'disk-free-limit': { type: 'string' },
        'vm-memory-high-watermark': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    die(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const portText = (values.port as string | undefined) ?? process.env.WARREN_PORT ?? '5672';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) die(`invalid port '${portText}'`);
  const mgmtText = (values['management-port'] as string | undefined) ?? process.env.WARREN_MANAGEMENT_PORT ?? '15672';
  const managementPort = Number(mgmtText);
  if (!/^\d+$/.test(mgmtText) || managementPort > 65535) die(`invalid management port '${mgmtText}'`);
  const logLevel = ((values['log-level'] as string | undefined) ?? process.env.WARREN_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LEVELS.has(logLevel)) die(`invalid log level '${logLevel}'`);
  const num = (flag: string): number | undefined => {
    const v = values[flag] as string | undefined;
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) die(`invalid --${flag} '${v}'`);
    return n;
  };
  return {
    diskFreeLimit: num('disk-free-limit'),
    vmMemoryHighWatermark: num('vm-memory-high-watermark'),
    port,
    managementPort,
    host: values.host as string | undefined,
    dataDir: (values['data-dir'] as string | undefined) ?? process.env.WARREN_DATA_DIR ?? './data',
    logLevel,
  };
}

/**
 * A 4 MiB young-generation semi-space keeps a large backlog within its memory target (see
 * docs/storage.md). bin/warren's shebang passes it; `node bin/warren` does not, so set it here
 * unless the operator chose a value.
 */
function tuneHeap(): void {
  if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) setFlagsFromString('--max-semi-space-size=4');
}

async function main(): Promise<void> {
  tuneHeap();
  const opts = parse();
  // Signals are handled from the start: one that arrives while the broker is still starting stops
  // it as soon as it is up (instead of killing it half-way).
  let broker: Broker | undefined;
  let pendingSignal: string | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (!broker) {
      pendingSignal = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    broker.log.info({ signal }, 'shutting down');
    const b = broker;
    b.stop('shutdown').then(
      () => process.exit(0),
      (err: unknown) => {
        b.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    broker = await Broker.start(opts);
    broker.requestStop = () => shutdown('stop requested');
  } catch (e) {
    process.stderr.write(`Error: cannot start broker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  if (pendingSignal) shutdown(pendingSignal);
}

void main();
