// The web UI's static files: `/` is web/index.html, `/ui/…` the rest of the repository's web/
// folder, and `/ui/vendor/…` uPlot's browser build straight from node_modules (nothing from a
// CDN, no build step). Files are read on each request: they are small, and an edited file shows
// on reload. Paths are resolved inside their folder so `..` cannot escape it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './http.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** The repository's web/ folder: two levels up from src/mgmt (tsx) or three from dist/src/mgmt (tsc). */
function findWebRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    dir = dirname(dir);
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
  }
  return null;
}

function findVendorRoot(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('uplot'));
  } catch {
    return null;
  }
}

const webRoot = findWebRoot();
const vendorRoot = findVendorRoot();
/** The only vendor files the UI needs; nothing else of node_modules is exposed. */
const VENDOR_FILES = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

/** True for the paths this module answers (everything outside /api and /metrics that the UI owns). */
export function isStaticPath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/ui/');
}

/** The reply for a static path: the file, or a plain 404. */
export function staticReply(path: string): StaticReply {
  const file = locate(path);
  if (file === null) return { status: 404, text: 'Not Found', contentType: 'text/plain' };
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  return { status: 200, data: readFileSync(file), contentType: type };
}

export interface StaticReply extends Reply {
  /** raw bytes (images as well as text) */
  data?: Buffer;
}

function locate(path: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (rel === '/' || rel === '/index.html') return webRoot ? join(webRoot, 'index.html') : null;
  if (rel.startsWith('/ui/vendor/')) {
    const name = rel.slice('/ui/vendor/'.length);
    return vendorRoot && VENDOR_FILES.has(name) ? join(vendorRoot, name) : null;
  }
  if (webRoot === null) return null;
  const file = resolve(webRoot, `.${rel.slice('/ui'.length)}`);
  if (!file.startsWith(webRoot + sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** Answers GET/HEAD of a UI path and returns true; false leaves the request to the API router. */
export function serveStatic(raw: IncomingMessage, res: ServerResponse): boolean {
  if (raw.method !== 'GET' && raw.method !== 'HEAD') return false;
  const url = raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!isStaticPath(path)) return false;
  const reply = staticReply(path);
  const payload = reply.data ?? Buffer.from(reply.text ?? '', 'utf8');
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain', 'content-length': payload.length, 'cache-control': 'no-cache' });
  res.end(raw.method === 'HEAD' ? undefined : payload);
  return true;
}
