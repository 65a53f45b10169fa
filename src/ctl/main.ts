// The `warrenctl` command: rabbitmqctl's subcommands, flags, output and exit codes, run against a
// Warren broker through its management API (the Unix socket of a local data dir, or --url).
//   warrenctl [--data-dir DIR | --url URL [--username U --password P]] [-q] [--formatter json] <command> [args]
// Order of work, as rabbitmqctl: parse → check the arguments → check the broker's state →
// banner → run. Every failure is a CtlError: its text goes to stderr, its code is the exit code.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient, type Endpoint } from './client.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { Context, type GlobalOptions } from './context.js';
import { badArgument, CtlError, ExitCode, usageError, wrongAppState } from './errors.js';
import { commandHelp, commandUsage, generalHelp } from './help.js';

/** Options every command takes. */
const GLOBAL_OPTIONS = {
  node: { type: 'string', short: 'n' },
  longnames: { type: 'boolean', short: 'l' },
  quiet: { type: 'boolean', short: 'q' },
  silent: { type: 'boolean', short: 's' },
  formatter: { type: 'string' },
  timeout: { type: 'string', short: 't' },
  vhost: { type: 'string', short: 'p' },
  'no-table-headers': { type: 'boolean' },
  'data-dir': { type: 'string' },
  url: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options only some commands take (each command lists the ones it accepts). */
const COMMAND_OPTIONS = {
  'if-empty': { type: 'boolean', short: 'e' },
  'if-unused': { type: 'boolean', short: 'u' },
  idempotent: { type: 'boolean' },
  description: { type: 'string' },
  tags: { type: 'string' },
  'default-queue-type': { type: 'string' },
  online: { type: 'boolean' },
  offline: { type: 'boolean' },
  local: { type: 'boolean' },
  format: { type: 'string' },
  // set_policy / set_operator_policy
  priority: { type: 'string' },
  'apply-to': { type: 'string' },
} as const;

type Flags = Record<string, string | boolean | undefined>;

/** A request that takes longer than this has lost the broker (rabbitmqctl's default: 60 s). */
const DEFAULT_REQUEST_TIMEOUT_S = 60;

interface Parsed {
  flags: Flags;
  positionals: string[];
  /** options no command knows, as "--name : value" lines (rabbitmqctl's "Invalid options") */
  unknown: string[];
}

/**
 * Parses leniently: rabbitmqctl reports unknown options only once it knows the command (with its
 * usage), so they are collected here instead of failing the parse.
 */
function parse(argv: readonly string[]): Parsed {
  const { values, positionals, tokens } = parseArgs({
    // rabbitmqctl spells help -?
    args: argv.map((a) => (a === '-?' ? '--help' : a)),
    options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const known = new Set([...Object.keys(GLOBAL_OPTIONS), ...Object.keys(COMMAND_OPTIONS)]);
  const unknown: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'option' && !known.has(t.name)) unknown.push(`${t.rawName} : ${t.value ?? ''}`);
  }
  const flags: Flags = {};
  for (const [k, v] of Object.entries(values)) {
    if (!known.has(k)) continue;
    if (typeof v === 'string' || typeof v === 'boolean') flags[k] = v;
  }
  return { flags, positionals, unknown };
}

/** A string option given without its value (e.g. a trailing `-p`). */
function checkOptionTypes(flags: Flags): void {
  const all: Record<string, { type: string }> = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS };
  for (const [name, v] of Object.entries(flags)) {
    if (all[name]?.type === 'string' && typeof v !== 'string') throw usageError(`option --${name} needs a value`);
    if (all[name]?.type === 'boolean' && typeof v !== 'boolean') throw usageError(`option --${name} takes no value`);
  }
}

function globalOptions(flags: Flags): GlobalOptions {
  const formatter = typeof flags.formatter === 'string' ? flags.formatter : undefined;
  if (formatter !== undefined && !['json', 'table', 'string'].includes(formatter)) {
    throw usageError(`unsupported formatter '${formatter}' (supported: json, table)`);
  }
  let timeout: number | undefined;
  if (typeof flags.timeout === 'string') {
    timeout = Number(flags.timeout);
    if (!/^\d+$/.test(flags.timeout) || timeout <= 0) throw usageError(`invalid timeout '${flags.timeout}' (a positive number of seconds)`);
  }
  return {
    vhost: typeof flags.vhost === 'string' ? flags.vhost : '/',
    quiet: flags.quiet === true,
    silent: flags.silent === true,
    json: formatter === 'json',
    tableHeaders: flags['no-table-headers'] !== true,
    timeout,
    node: typeof flags.node === 'string' ? flags.node : undefined,
    flags,
  };
}

/** Where the broker's API is: --url (with credentials), else the socket in the data dir. */
function endpoint(flags: Flags): Endpoint {
  if (typeof flags.url === 'string') {
    let url: URL;
    try {
      url = new URL(flags.url);
    } catch {
      throw badArgument(`invalid --url '${flags.url}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badArgument(`--url must be http:// or https://, not '${url.protocol}'`);
    const username = typeof flags.username === 'string' ? flags.username : url.username ? decodeURIComponent(url.username) : 'guest';
    const password = typeof flags.password === 'string' ? flags.password : url.password ? decodeURIComponent(url.password) : 'guest';
    return { kind: 'url', url, username, password };
  }
  if (typeof flags.username === 'string' || typeof flags.password === 'string') {
    throw usageError('--username and --password go with --url (the local socket needs no credentials)');
  }
  const dataDir = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : (process.env.WARREN_DATA_DIR ?? './data');
  return { kind: 'socket', path: join(dataDir, 'warren.sock') };
}

/** Options no command knows, or that this command does not take. */
function checkCommandOptions(cmd: Command, parsed: Parsed): void {
  const allowed = new Set(cmd.options ?? []);
  const wrong = [
    ...parsed.unknown,
    ...Object.keys(COMMAND_OPTIONS)
      .filter((o) => parsed.flags[o] !== undefined && !allowed.has(o))
      .map((o) => `--${o} : ${parsed.flags[o] === true ? '' : String(parsed.flags[o])}`),
  ];
  if (wrong.length > 0) throw usageError(`Invalid options for this command:\n${wrong.join('\n')}`);
}

function checkArgCount(cmd: Command, args: readonly string[]): void {
  if (args.length < cmd.minArgs) throw usageError('not enough arguments.');
  if (args.length > cmd.maxArgs) throw usageError('too many arguments.');
}

/** rabbitmqctl refuses most commands while the application is stopped, and reset while it runs. */
async function checkRequirement(cmd: Command, ctx: Context): Promise<void> {
  switch (cmd.requires) {
    case 'running':
      if (!(await ctx.appRunning())) throw wrongAppState(true);
      return;
    case 'stopped':
      if (await ctx.appRunning()) throw wrongAppState(false);
      return;
    case 'reachable':
      await ctx.nodeName();
      return;
    case 'nothing':
      return;
  }
}

/** The closest command name, for "Did you mean …?" */
function suggest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of COMMANDS.keys()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** rabbitmqctl's answer to an unknown command: a suggestion if one is close, else the command list. */
function unknownCommand(name: string): CtlError {
  const guess = suggest(name);
  const text = guess ? `\nCommand '${name}' not found. \nDid you mean '${guess}'? \n` : `\nCommand '${name}' not found. \n${generalHelp().join('\n')}`;
  return new CtlError(ExitCode.usage, text);
}

/** Runs one warrenctl invocation; resolves to the exit code. */
export async function run(argv: readonly string[], write: (text: string) => void, writeErr: (text: string) => void): Promise<number> {
  let cmd: Command | undefined;
  try {
    const parsed = parse(argv);
    const { flags, positionals } = parsed;
    const [name, ...args] = positionals;
    if (name === undefined) {
      // like rabbitmqctl: help on request, otherwise help on stderr as a usage error
      if (flags.help === true) {
        write(`${generalHelp().join('\n')}\n`);
        return ExitCode.ok;
      }
      writeErr(`${generalHelp().join('\n')}\n`);
      return ExitCode.usage;
    }
    if (name === 'help') {
      if (args.length === 0) {
        write(`${generalHelp().join('\n')}\n`);
        return ExitCode.ok;
      }
      const wanted = COMMANDS.get(args[0] ?? '');
      if (!wanted) throw new CtlError(ExitCode.usage, `\nError:\n\nCommand '${args[0]}' not found.`);
      write(`${commandHelp(wanted).join('\n')}\n`);
      return ExitCode.ok;
    }
    cmd = COMMANDS.get(name);
    if (!cmd) throw unknownCommand(name);
    if (flags.help === true) {
      write(`${commandHelp(cmd).join('\n')}\n`);
      return ExitCode.ok;
    }
    checkCommandOptions(cmd, parsed);
    checkOptionTypes(flags);
    checkArgCount(cmd, args);
    const opts = globalOptions(flags);
    // await_startup's --timeout is how long to wait in all, not per request
    const timeoutS = cmd.name === 'await_startup' ? DEFAULT_REQUEST_TIMEOUT_S : (opts.timeout ?? DEFAULT_REQUEST_TIMEOUT_S);
    const ctx = new Context(new ApiClient(endpoint(flags), timeoutS * 1000), opts, write);
    cmd.validate?.(args, ctx);
    await checkRequirement(cmd, ctx);
    if (cmd.banner && !ctx.quiet && !opts.json) ctx.print(await cmd.banner(args, ctx));
    await cmd.run(args, ctx);
    await ctx.finish();
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CtlError) {
      let text = e.text;
      // a validation failure comes with what was given and how the command is used
      if (e.validation && cmd) text += `\nArguments given:\n\t${argv.join(' ')}\n\nUsage\n\n${commandUsage(cmd)}`;
      writeErr(`${text}\n`);
      return e.exitCode;
    }
    writeErr(`Error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return ExitCode.software;
  }
}

/** Entry point of bin/warrenctl: exits once stdout and stderr are flushed. */
export async function main(): Promise<void> {
  const code = await run(
    process.argv.slice(2),
    (t) => process.stdout.write(t),
    (t) => process.stderr.write(t),
  );
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
