#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, loading TypeScript through tsx.
// Node 20's `--test` does not expand globs, so the file list is built here.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('test', []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  // brokers started by tests (in-process or bin/warren) keep off the fixed management port 15672,
  // so test files can run side by side; tests of the management API choose their own port
  { stdio: 'inherit', env: { WARREN_MANAGEMENT_PORT: '0', ...process.env } },
);
process.exit(res.status ?? 1);
