// Topic exchange: binding keys are dot-separated words where `*` matches exactly one word and `#`
// zero or more. Bindings live in a trie walked once per routing key; results are cached per routing
// key (bounded, cleared on any bind/unbind) so hot keys cost one Map lookup.
// As in RabbitMQ, the empty routing key has zero words, and "a..b" has an empty middle word.
import type { Message } from '../message.js';
import { type Binding, type Destination, Exchange, removeOne } from './exchange.js';

class TrieNode {
  readonly words = new Map<string, TrieNode>();
  star: TrieNode | null = null;
  hash: TrieNode | null = null;
  readonly dests: Destination[] = [];

  isEmpty(): boolean {
    return this.words.size === 0 && this.star === null && this.hash === null && this.dests.length === 0;
  }
}

/** Routing keys cached per exchange; beyond this the cache is dropped and refilled. */
const CACHE_LIMIT = 4096;

export const splitWords = (key: string): string[] => (key === '' ? [] : key.split('.'));

export class TopicExchange extends Exchange {
  readonly type = 'topic';
  private readonly root = new TrieNode();
  private readonly cache = new Map<string, Destination[]>();

  collect(routingKey: string, _msg: Message, out: Destination[]): void {
    let hit = this.cache.get(routingKey);
    if (hit === undefined) {
      hit = [];
      match(this.root, splitWords(routingKey), 0, hit);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(routingKey, hit);
    }
    for (let i = 0; i < hit.length; i++) out.push(hit[i] as Destination);
  }

  protected added(b: Binding): void {
    this.cache.clear();
    let node = this.root;
    for (const w of splitWords(b.routingKey)) {
      if (w === '*') node = node.star ??= new TrieNode();
      else if (w === '#') node = node.hash ??= new TrieNode();
      else {
        let next = node.words.get(w);
        if (!next) {
          next = new TrieNode();
          node.words.set(w, next);
        }
        node = next;
      }
    }
    node.dests.push(b.destination);
  }

  protected removed(b: Binding): void {
    this.cache.clear();
    const path: [TrieNode, string][] = [];
    let node: TrieNode | null | undefined = this.root;
    for (const w of splitWords(b.routingKey)) {
      path.push([node, w]);
      node = w === '*' ? node.star : w === '#' ? node.hash : node.words.get(w);
      if (!node) return;
    }
    removeOne(node.dests, b.destination);
    // prune empty branches so the trie does not grow with churn
    for (let i = path.length - 1; i >= 0 && node.isEmpty(); i--) {
      const [parent, w] = path[i] as [TrieNode, string];
      if (w === '*') parent.star = null;
      else if (w === '#') parent.hash = null;
      else parent.words.delete(w);
      node = parent;
    }
  }
}

function match(node: TrieNode, words: string[], i: number, out: Destination[]): void {
  if (node.hash !== null) {
    // '#' swallows zero or more words: try every split point
    for (let j = i; j <= words.length; j++) match(node.hash, words, j, out);
  }
  if (i === words.length) {
    for (const d of node.dests) out.push(d);
    return;
  }
  const w = words[i] as string;
  const exact = node.words.get(w);
  if (exact !== undefined) match(exact, words, i + 1, out);
  if (node.star !== null) match(node.star, words, i + 1, out);
}
