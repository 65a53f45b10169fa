// Logging through pino. One root logger per broker; components take children with bindings
// (e.g. { conn: '127.0.0.1:50000 -> 127.0.0.1:5672' }). Hot paths guard debug calls with
// `log.isLevelEnabled('debug')` so no message is formatted when the level is off.
import { pino, type Logger } from 'pino';

export type { Logger };
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
