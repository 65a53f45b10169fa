// The `warren` command: runs the broker in the foreground as this process.
//   warren [--config FILE] [--port N] [--host H] [--data-dir DIR] [--management-port N (0 = off)]
//          [--log-level LEVEL] [--disk-free-limit BYTES] [--vm-memory-high-watermark FRACTION|BYTES]
// Where a setting comes from, weakest first: built-in defaults (RabbitMQ's), WARREN_* environment
// variables, the rabbitmq.conf file (--config FILE or WARREN_CONFIG_FILE), command-line flags.
// A bad flag: one line on stderr, exit 2. A config file Warren cannot run with (RabbitMQ refuses to
// boot on it too): one line naming the file, line and key on stderr, exit 78 (EX_CONFIG, the code
// RabbitMQ's scripts use for configuration errors). Settings the file has that Warren recognises
// but does not apply are logged as warnings.
// SIGTERM / SIGINT close every connection with 320 CONNECTION_FORCED, finish, and exit 0.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Broker } from './broker.js';
import type { BrokerOptions } from './config.js';
import { ConfigFileError, loadConfigFile } from './config-file.js';
import { createLogger, type LogLevel } from './log.js';

const USAGE =
  'usage: warren [--config FILE] [--port N] [--host H] [--data-dir DIR] [--management-port N] [--log-level fatal|error|warn|info|debug|trace|silent] [--disk-free-limit BYTES] [--vm-memory-high-watermark FRACTION|BYTES]';
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
/** sysexits.h EX_CONFIG, as rabbitmq-server and rabbitmqctl use for configuration errors */
const EX_CONFIG = 78;

function die(reason: string): never {
  process.stderr.write(`Error: ${reason}\n${USAGE}\n`);
  process.exit(2);
}

/** The same object without its undefined fields, so spreading it never erases a weaker source. */
function defined(o: BrokerOptions): BrokerOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as BrokerOptions;
}

function port(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65535) die(`invalid ${what} '${text}'`);
  return Number(text);
}

function level(text: string | undefined): LogLevel | undefined {
  if (text === undefined) return undefined;
  if (!LEVELS.has(text)) die(`invalid log level '${text}'`);
  return text as LogLevel;
}

/** Flags and environment merged with the config file; exits on a bad flag or file. */
function parse(): { options: BrokerOptions; configFile?: string; warnings: string[] } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
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
  const flag = (name: string): string | undefined => values[name] as string | undefined;
  const num = (name: string): number | undefined => {
    const v = flag(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) die(`invalid --${name} '${v}'`);
    return n;
  };
  const env = process.env;
  const fromEnv = defined({
    port: port(env.WARREN_PORT, 'port'),
    dataDir: env.WARREN_DATA_DIR,
    managementPort: port(env.WARREN_MANAGEMENT_PORT, 'management port'),
    logLevel: level(env.WARREN_LOG_LEVEL),
  });
  const fromFlags = defined({
    port: port(flag('port'), 'port'),
    host: flag('host'),
    dataDir: flag('data-dir'),
    managementPort: port(flag('management-port'), 'management port'),
    logLevel: level(flag('log-level')),
    diskFreeLimit: num('disk-free-limit'),
    vmMemoryHighWatermark: num('vm-memory-high-watermark'),
  });
  // WARREN_CONFIG_FILE, not RABBITMQ_CONFIG_FILE: a RabbitMQ installed on the same host must not
  // hand its configuration (ports, certificates) to Warren by accident
  const configFile = flag('config') ?? (env.WARREN_CONFIG_FILE || undefined);
  let fromFile: BrokerOptions = {};
  let warnings: string[] = [];
  if (configFile !== undefined) {
    try {
      ({ options: fromFile, warnings } = loadConfigFile(configFile));
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      process.stderr.write(`Error: ${e.message}\n`);
      process.exit(EX_CONFIG);
    }
  }
  return { options: { dataDir: './data', ...fromEnv, ...defined(fromFile), ...fromFlags }, configFile, warnings };
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
  const { options, configFile, warnings } = parse();
  // the logger exists before the broker so the config file's warnings come first
  const logger = createLogger(options.logLevel ?? 'info');
  if (configFile !== undefined) logger.info({ file: configFile }, `configuration file ${configFile} read`);
  for (const w of warnings) logger.warn(w);
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
    broker = await Broker.start({ ...options, logger });
    broker.requestStop = () => shutdown('stop requested');
  } catch (e) {
    process.stderr.write(`Error: cannot start broker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  if (pendingSignal) shutdown(pendingSignal);
}

void main();
