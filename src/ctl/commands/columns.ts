// Column (rabbitmqctl "info item") arguments of the list_* commands.
import { usageError } from '../errors.js';

/**
 * The requested columns in order, without repeats. Like rabbitmqctl, a column list may also be
 * written comma-separated ("name,messages"); an unknown column is a usage error.
 */
export function checkColumns(args: readonly string[], valid: readonly string[]): string[] {
  const keys = [...new Set(args.flatMap((a) => a.split(',')).map((k) => k.trim()).filter((k) => k !== ''))];
  const bad = keys.filter((k) => !valid.includes(k));
  if (bad.length > 0) throw usageError(`Info key(s) ${bad.join(',')} are not supported`);
  return keys;
}
