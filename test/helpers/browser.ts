// Runs the management web UI in a real headless Chromium (Debian's `chromium` driven by
// playwright-core) for the tests in test/ui. Each test file gets its own in-process Warren with
// the management listener on a free port, and a browser with a fresh profile directory.
//
// The launch flags keep Chromium off the network (this machine and CI have none): no QUIC, no
// background fetches, no component updates or sync. When Chromium is missing the UI tests are
// skipped with a message saying how to install it; .ci/run installs it so CI always runs them.
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { startBroker, type TestBroker } from './broker.js';
import { Api } from '../integration/mgmt-helpers.js';

export const CHROMIUM_PATH = process.env.WARREN_CHROMIUM ?? '/usr/bin/chromium';

/** How long the tests wait for something the UI shows; the UI refreshes every 5 s. */
export const UI_TIMEOUT_MS = 20_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where every run keeps its screenshots (ignored by git). */
export const ARTIFACT_DIR = join(REPO_ROOT, 'test-artifacts', 'ui');
/** Screenshots of the main pages for the docs, rewritten only with WARREN_UPDATE_SCREENSHOTS=1. */
export const DOCS_SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');

/**
 * Why the UI tests cannot run here, or undefined when they can. Pass it as `skip` to describe().
 * The UI is served by Warren itself, so an external broker (WARREN_TEST_AMQP_URL) has none to test.
 */
export function uiSkipReason(): string | undefined {
  if (process.env.WARREN_TEST_AMQP_URL) return 'the web UI tests need the in-process Warren (WARREN_TEST_AMQP_URL is set)';
  if (!existsSync(CHROMIUM_PATH)) {
    return `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) to run the web UI tests; .ci/run does`;
  }
  return undefined;
}

export interface UiFixture {
  broker: TestBroker;
  /** http://127.0.0.1:PORT — the management listener serving the UI and the API */
  base: string;
  /** the HTTP API as guest */
  api: Api;
  context: BrowserContext;
  /** Uncaught exceptions thrown by the UI's scripts in any tab, so tests can assert there were none. */
  pageErrors: string[];
  /** A new tab; its sessionStorage (and so its login) is its own. */
  newPage(): Promise<Page>;
  stop(): Promise<void>;
}

export async function startUi(brokerOptions: Record<string, unknown> = {}): Promise<UiFixture> {
  const { chromium } = await import('playwright-core');
  const broker = await startBroker({ managementPort: 'auto', ...brokerOptions });
  const warren = broker.warren;
  if (!warren) throw new Error('the UI tests need the in-process Warren');
  const base = `http://127.0.0.1:${warren.managementPort}`;
  const profileDir = await mkdtemp(join(tmpdir(), 'warren-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      timeout: 30_000,
    });
  } catch (err) {
    await broker.stop();
    await rm(profileDir, { recursive: true, force: true });
    throw err;
  }
  const pageErrors: string[] = [];
  context.on('page', (page) => page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`)));
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
  return {
    broker,
    base,
    api: new Api(base),
    context,
    pageErrors,
    newPage: () => context.newPage(),
    stop: async () => {
      await context.close().catch(() => {});
      await broker.stop();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** Opens the UI in `page` and logs in through the form; resolves when the navigation shows. */
export async function login(page: Page, base: string, user = 'guest', password = 'guest'): Promise<void> {
  await page.goto(`${base}/#/login`);
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-overview').waitFor();
}

/**
 * Saves a full-page screenshot to test-artifacts/ui/<name>.png. The screenshots for the docs
 * (`forDocs`) go to test-artifacts/ui/docs/<name>.png and, with WARREN_UPDATE_SCREENSHOTS=1,
 * to docs/screenshots/<name>.png, so ordinary runs never rewrite the docs.
 */
export async function screenshot(page: Page, name: string, forDocs = false): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  const dir = forDocs ? join(ARTIFACT_DIR, 'docs') : ARTIFACT_DIR;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.png`), png);
  if (forDocs && process.env.WARREN_UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS_SCREENSHOT_DIR, { recursive: true });
    await writeFile(join(DOCS_SCREENSHOT_DIR, `${name}.png`), png);
  }
}

/** The pixels of the first canvas inside the element with this test id, as a data URL. */
export async function canvasPixels(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).locator('canvas').first().evaluate((canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL());
}

/**
 * The usual hooks of a UI test suite (call it inside `describe`): a broker and Chromium before the
 * tests, torn down after them, and after each test a check that the page threw nothing. The fixture
 * returned is filled in by the before hook.
 */
export function useUi(brokerOptions: Record<string, unknown> = {}): UiFixture {
  const ui = {} as UiFixture;
  before(async () => {
    Object.assign(ui, await startUi(brokerOptions));
  });
  after(async () => {
    await ui.stop?.();
  });
  afterEach(() => {
    assert.deepEqual(ui.pageErrors.splice(0), [], 'no uncaught errors in the page');
  });
  return ui;
}
