// The `warren` command: runs the broker in the foreground as this process.
//   warren [--port N] [--host H] [--data-dir DIR] [--log-level LEVEL]
// SIGTERM / SIGINT close every connection with 320 CONNECTION_FORCED, finish, and exit 0.
import { parseArgs } from 'node:util';
import { Broker } from './broker.js';
import type { LogLevel } from './log.js';

const USAGE =
  'usage: warren [--port N] [--host H] [--data-dir DIR] [--log-level fatal|error|warn|info|debug|trace|silent] [--disk-free-limit BYTES] [--vm-memory-high-watermark FRACTION|BYTES]';
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function die(reason: string): never {
  process.stderr.write(`Error: ${reason}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { port: number; host?: string; dataDir: string; logLevel: LogLevel; diskFreeLimit?: number; vmMemoryHighWatermark?: number } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
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
    host: values.host as string | undefined,
    dataDir: (values['data-dir'] as string | undefined) ?? process.env.WARREN_DATA_DIR ?? './data',
    logLevel,
  };
}

async function main(): Promise<void> {
  const opts = parse();
  let broker: Broker;
  try {
    broker = await Broker.start(opts);
  } catch (e) {
    process.stderr.write(`Error: cannot start broker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    broker.log.info({ signal }, 'shutting down');
    broker.stop('shutdown').then(
      () => process.exit(0),
      (err: unknown) => {
        broker.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
