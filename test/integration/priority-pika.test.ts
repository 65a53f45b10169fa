// The seeds' flash-sale example and a priority queue, with the real Python client (pika 1.2).
import { describePikaScripts } from '../helpers/pika.js';

const SCRIPTS: ReadonlyArray<readonly [string, string]> = [
  ['flash_sale.py', 'flash sale: requests beyond x-max-length are rejected (reject-publish nack), reject-publish-dlx dead-letters them'],
  ['priority.py', 'priority queue: higher first, FIFO within a level, over-max as max, requeue in place'],
];

describePikaScripts('queue features with pika', SCRIPTS);
