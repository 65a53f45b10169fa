// SASL mechanisms offered in connection.start: PLAIN ("\0user\0pass") and AMQPLAIN (a field table
// without its length prefix, holding LOGIN and PASSWORD).
import { ByteReader } from '../protocol/byte-reader.js';
import { stringValue } from '../protocol/field-value.js';

export const MECHANISMS = 'PLAIN AMQPLAIN';

export interface Credentials {
  username: string;
  password: string;
}

/** The credentials in a start-ok response, or undefined when the response is malformed. */
export function parseResponse(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    // RabbitMQ reads exactly "\0user\0pass": no authorization identity, no NUL in the password
    const parts = response.toString('utf8').split('\u0000');
    if (parts.length !== 3 || parts[0] !== '') return undefined;
    return { username: parts[1] as string, password: parts[2] as string };
  }
  if (mechanism === 'AMQPLAIN') {
    const r = new ByteReader().reset(response, 0, response.length);
    const fields: Record<string, string | undefined> = {};
    try {
      while (r.pos < r.end) {
        const key = r.shortstr();
        fields[key] = stringValue(r.fieldValue());
      }
    } catch {
      return undefined;
    }
    if (fields.LOGIN === undefined || fields.PASSWORD === undefined) return undefined;
    return { username: fields.LOGIN, password: fields.PASSWORD };
  }
  return undefined;
}
