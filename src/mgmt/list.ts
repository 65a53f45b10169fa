// Lists as RabbitMQ's management API returns them: sorted (default vhost, name; `sort` picks a
// primary key, dotted for nested fields; `sort_reverse=true`), optionally paginated (`page`,
// `page_size` ≤ 500, `name` filter as a case-insensitive substring or, with `use_regex=true`, a
// regex) into {filtered_count, item_count, items, page, page_count, page_size, total_count}, and cut
// to `columns`. With 10,000 queues, sorting and paging on basic keys happen before the (costly) JSON
// views are built, so only one page of views is made.
import { badRequest, HttpError, type Request } from './http.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

export type JsonObject = Record<string, unknown>;

interface Pagination {
  page: number;
  pageSize: number;
  name: string | undefined;
  useRegex: boolean;
}

/** RabbitMQ's pagination_params: undefined unless `page` is given; 400 on nonsense. */
export function paginationParams(req: Request): Pagination | undefined {
  const pageText = req.query.get('page');
  const sizeText = req.query.get('page_size');
  const toInt = (s: string | null): number | undefined => {
    if (s === null) return undefined;
    if (!/^[+-]?\d+$/.test(s)) throw badRequest('Pagination parameters are invalid');
    return Number(s);
  };
  const page = toInt(pageText);
  const size = toInt(sizeText);
  if (page === undefined) return undefined;
  const pageSize = size ?? DEFAULT_PAGE_SIZE;
  if (page <= 0 || pageSize <= 0 || pageSize > MAX_PAGE_SIZE) {
    throw new HttpError(400, 'invalid_pagination_parameters', `Invalid pagination parameters: page number ${page}, page size ${size ?? 'undefined'}`);
  }
  const name = req.query.get('name') ?? undefined;
  return { page, pageSize, name: name === '' ? undefined : name, useRegex: req.query.get('use_regex') === 'true' };
}

// --- sorting (Erlang term order, which RabbitMQ's lists:sort applies) --------------------------

/** number < atom (true/false/null) < object < array < string, as Erlang orders its terms. */
function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'boolean' || v === null || v === undefined) return 1;
  if (typeof v === 'string') return 4;
  if (Array.isArray(v)) return 3;
  return 2;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 4 || ra === 1) {
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  return 0;
}

/** A dotted key's value; missing means 0, as RabbitMQ puts "nothing" before everything. */
export function dottedValue(item: JsonObject, key: string): unknown {
  let v: unknown = item;
  for (const k of key.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 0;
    v = (v as JsonObject)[k];
    if (v === undefined) return 0;
  }
  return v;
}

function sortKeys(req: Request, defaults: readonly string[]): string[] {
  const s = req.query.get('sort');
  if (s === null || s === '') return [...defaults];
  return [s, ...defaults.filter((d) => d !== s)];
}

function sortBy<T>(items: T[], keys: readonly string[], get: (item: T, key: string) => unknown, reverse: boolean): T[] {
  const decorated = items.map((item) => ({ item, k: keys.map((key) => get(item, key)) }));
  decorated.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(x.k[i], y.k[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const out = decorated.map((d) => d.item);
  return reverse ? out.reverse() : out;
}

// --- columns ----------------------------------------------------------------------------------

function parseColumns(req: Request): string[][] | undefined {
  const c = req.query.get('columns');
  if (c === null) return undefined;
  return c
    .split(',')
    .filter((s) => s !== '')
    .map((s) => s.split('.').filter((p) => p !== ''));
}

function extractColumns(value: unknown, cols: string[][] | 'all'): unknown {
  if (cols === 'all') return value;
  if (Array.isArray(value)) return value.map((v) => extractColumns(v, cols));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value as JsonObject)) {
    const matching = cols.filter((c) => c[0] === k);
    if (matching.length === 0) continue;
    const deeper = matching.some((c) => c.length === 1) ? 'all' : matching.map((c) => c.slice(1));
    out[k] = extractColumns(v, deeper);
  }
  return out;
}

// --- the list reply ---------------------------------------------------------------------------

export interface ListSpec<T> {
  /** default sort keys (RabbitMQ: vhost, name) */
  defaultSort?: readonly string[];
  /** cheap values of the basic keys (name, vhost, …) so sorting and paging need no views */
  basic?: (item: T, key: string) => unknown;
  /** keys `basic` answers */
  basicKeys?: readonly string[];
  /** the full JSON view of one item */
  view: (item: T) => JsonObject;
  /** does the list support pagination (queues, exchanges, connections, channels)? */
  paginate?: boolean;
}

/**
 * Sorts, filters, pages and cuts a list as RabbitMQ does. Returns an array, or the pagination
 * object when `page` is given.
 */
export function listReply<T>(req: Request, items: T[], spec: ListSpec<T>): unknown {
  const pg = spec.paginate === false ? undefined : paginationParams(req);
  const keys = sortKeys(req, spec.defaultSort ?? ['vhost', 'name']);
  const reverse = req.query.get('sort_reverse') === 'true';
  const basicKeys = spec.basicKeys ?? [];
  const cheap = spec.basic !== undefined && keys.every((k) => basicKeys.includes(k));
  const cols = parseColumns(req) ?? 'all';

  let rows: { item: T; view?: JsonObject }[];
  if (cheap) {
    const basic = spec.basic as (item: T, key: string) => unknown;
    rows = sortBy(items, keys, (it, k) => basic(it, k), reverse).map((item) => ({ item }));
  } else {
    const withViews = items.map((item) => ({ item, view: spec.view(item) }));
    rows = sortBy(withViews, keys, (r, k) => dottedValue(r.view, k), reverse);
  }
  const viewOf = (r: { item: T; view?: JsonObject }): JsonObject => r.view ?? spec.view(r.item);
  if (pg === undefined) return rows.map((r) => extractColumns(viewOf(r), cols));

  const total = rows.length;
  let filtered = rows;
  if (pg.name !== undefined) {
    const nameOf = (r: { item: T; view?: JsonObject }): string => {
      const n = cheap && basicKeys.includes('name') ? (spec.basic as (item: T, key: string) => unknown)(r.item, 'name') : viewOf(r).name;
      return typeof n === 'string' ? n : '';
    };
    if (pg.useRegex) {
      let re: RegExp;
      try {
        re = new RegExp(pg.name, 'i');
      } catch {
        throw badRequest(`invalid regular expression '${pg.name}'`);
      }
      filtered = rows.filter((r) => re.test(nameOf(r)));
    } else {
      const needle = pg.name.toLowerCase();
      filtered = rows.filter((r) => nameOf(r).toLowerCase().includes(needle));
    }
  }
  const offset = (pg.page - 1) * pg.pageSize;
  if (offset > filtered.length) {
    throw new HttpError(400, 'page_out_of_range', `Page out of range, page: ${pg.page} page size: ${pg.pageSize}, len: ${filtered.length}`);
  }
  const page = filtered.slice(offset, offset + pg.pageSize);
  return {
    filtered_count: filtered.length,
    item_count: page.length,
    items: page.map((r) => extractColumns(viewOf(r), cols)),
    page: pg.page,
    page_count: Math.ceil(filtered.length / pg.pageSize),
    page_size: pg.pageSize,
    total_count: total,
  };
}

/** A single object cut to `columns` (RabbitMQ applies them to single objects too). */
export function objectReply(req: Request, view: JsonObject): unknown {
  return extractColumns(view, parseColumns(req) ?? 'all');
}
