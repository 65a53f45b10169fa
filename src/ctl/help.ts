// `warrenctl help`, `warrenctl help <command>` and `warrenctl <command> --help`, laid out as
// rabbitmqctl lays out its help (sections of commands; usage, then arguments, for one command).
import type { Command } from './command.js';
import { SECTIONS } from './commands/index.js';

const PROGRAM = 'warrenctl [--data-dir <dir> | --url <url>] [--node <node>] [--longnames] [--quiet]';

export const GLOBAL_USAGE = `${PROGRAM} <command> [<command options>]`;

const GLOBAL_OPTIONS: readonly (readonly [string, string])[] = [
  ['--data-dir <dir>', 'manage the broker whose data directory this is, through its Unix socket (default: $WARREN_DATA_DIR, else ./data)'],
  ['--url <url>', "manage a broker through its management API at this address, e.g. http://host:15672 (user:password@ in the URL works too)"],
  ['--username <user>, --password <pw>', 'credentials for --url (default guest / guest)'],
  ['-p, --vhost <vhost>', 'the virtual host a command works on (default /)'],
  ['-q, --quiet', 'print results only, without the informational lines'],
  ['-s, --silent', 'like --quiet, and tables without their header row'],
  ['--no-table-headers', 'tables without their header row'],
  ['--formatter json', 'print results as JSON'],
  ['-t, --timeout <seconds>', 'how long to wait for the broker'],
  ['-n, --node <node>', 'the node name shown in messages (warrenctl finds the broker by --data-dir or --url)'],
  ['-?, -h, --help', 'show help for a command'],
];

/** "   name" padded to rabbitmqctl's 30-column name field, then the text. */
function entry(name: string, text: string): string {
  return `   ${name.padEnd(30)}${text}`;
}

export function generalHelp(): string[] {
  const lines = ['', 'Usage', '', GLOBAL_USAGE, '', 'Available commands:', '', 'Help:', '', entry('help', 'Shows the commands, or how to use one'), ''];
  for (const section of SECTIONS) {
    lines.push(`${section.title}:`, '', ...section.commands.map((c) => entry(c.name, c.description)), '');
  }
  lines.push('Global options:', '', ...GLOBAL_OPTIONS.map(([a, b]) => entry(a, b)), '');
  lines.push("Use 'warrenctl help <command>' to learn more about a specific command");
  return lines;
}

/** The usage line of one command, as usage errors and help show it. */
export function commandUsage(cmd: Command): string {
  return `${PROGRAM} ${cmd.name}${cmd.usage ? ` ${cmd.usage}` : ''}`;
}

export function commandHelp(cmd: Command): string[] {
  const lines = ['', 'Usage', '', commandUsage(cmd), '', cmd.description, ''];
  if (cmd.argHelp && cmd.argHelp.length > 0) {
    lines.push('', 'Arguments and Options', '');
    for (const [name, text] of cmd.argHelp) lines.push(name, `\t${text}`, '');
  }
  lines.push("Global options are listed by 'warrenctl help'.");
  return lines;
}
