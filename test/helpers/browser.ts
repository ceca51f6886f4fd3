/**
 * Browser tests: Debian's chromium driven by playwright-core, and helpers that drive the Swagger UI
 * docs page the way a user does (open an operation, "Try it out", "Execute", "Authorize").
 *
 * The browser tests never skip themselves: without chromium they fail and say how to install it.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page, type Request } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones chromium keeps trying to reach
 * Google's services and logs every refused connection.
 */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether Debian's chromium is installed where the browser tests look for it. */
export function chromiumInstalled(): boolean {
  return existsSync(chromiumPath);
}

/** Starts a headless chromium; fails with what to install when chromium is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!chromiumInstalled()) {
    throw new Error(
      `The browser tests need Debian's chromium at ${chromiumPath}: ` +
        'install it with `sudo apt-get install -y --no-install-recommends chromium` (.ci/run does this in CI).',
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** Runs `use` with a fresh browser and closes the browser afterwards, whatever happens. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

/**
 * One browser for the whole test file: launched in `beforeAll`, closed in `afterAll`. Call at the
 * top of a file (or `describe`) and call the returned function inside the tests.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error('the browser is not running: call useBrowser() outside the tests');
    return browser;
  };
}

export interface DocsPage {
  page: Page;
  context: BrowserContext;
  /** Closes the page's own context (cookies, storage, credentials go with it). */
  close(): Promise<void>;
}

/**
 * Opens the docs page at `url` in a new browser context (pass `httpCredentials` for Basic auth) and
 * waits until Swagger UI has rendered the document's operations.
 */
export async function openDocs(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<DocsPage> {
  const context = await browser.newContext(options);
  // Fail on a missing element well before the test's own timeout, with Playwright's clear message.
  context.setDefaultTimeout(10_000);
  try {
    const page = await context.newPage();
    await page.goto(url);
    await waitForOperations(page);
    return { page, context, close: () => context.close() };
  } catch (error) {
    await context.close();
    throw error;
  }
}

/**
 * Waits until Swagger UI shows at least one operation, or fails with the error Swagger UI shows
 * instead (for example when the document could not be fetched or is invalid).
 */
export async function waitForOperations(page: Page): Promise<void> {
  const operation = page.locator('.swagger-ui .opblock').first();
  const loadError = page.locator('.swagger-ui .errors-wrapper, .swagger-ui .loading-container .info').first();
  await operation.or(loadError).waitFor();
  if (!(await operation.isVisible())) {
    throw new Error(`Swagger UI shows no operations: ${(await loadError.textContent())?.trim()}`);
  }
}

/** An operation on the page: its path as in the document (`/echo`), its summary, or both with the method. */
export type OperationRef = string | { path?: string; summary?: string; method?: string };

/**
 * The operation's block. A string starting with `/` is a path (exactly as in the document),
 * any other string the operation's summary.
 */
export function operationBlock(page: Page, operation: OperationRef): Locator {
  const ref = typeof operation === 'string' ? (operation.startsWith('/') ? { path: operation } : { summary: operation }) : operation;
  let block = page.locator(ref.method === undefined ? '.opblock' : `.opblock.opblock-${ref.method.toLowerCase()}`);
  if (ref.path !== undefined) {
    block = block.filter({ has: page.locator(`.opblock-summary-path[data-path=${JSON.stringify(ref.path)}]`) });
  }
  if (ref.summary !== undefined) {
    block = block.filter({ has: page.locator('.opblock-summary-description').getByText(ref.summary, { exact: true }) });
  }
  return block;
}

/** Expands the operation (if it is collapsed) and returns its block. */
export async function expandOperation(page: Page, operation: OperationRef): Promise<Locator> {
  const block = operationBlock(page, operation);
  const toggle = block.locator('.opblock-summary-control');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await block.locator('.opblock-body').waitFor();
  return block;
}

export interface ExecutedOperation {
  /** The status code the page shows; undefined when the request failed (the page says why in `details`). */
  status: number | undefined;
  /** The "Response body" the page shows ('' when there is none). */
  body: string;
  /** All the text of the page's "Server response" row: body, headers, or the fetch error. */
  details: string;
  /** The request the browser sent, for its URL and headers (`await request.allHeaders()`). */
  request: Request;
}

/**
 * "Try it out" → (fill the JSON request body) → "Execute" on one operation, and what the page shows.
 * Works with `tryItOutEnabled` on or off, and again on an operation already executed.
 */
export async function executeOperation(page: Page, operation: OperationRef, body?: unknown): Promise<ExecutedOperation> {
  const block = await expandOperation(page, operation);
  const tryItOut = block.getByRole('button', { name: 'Try it out' });
  if (await tryItOut.isVisible()) await tryItOut.click();
  if (body !== undefined) await block.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));

  // A previous result stays on the page until cleared; clear it so the one awaited below is new.
  const clear = block.locator('.btn-clear');
  if (await clear.isVisible()) await clear.click();

  const method = (await block.locator('.opblock-summary-method').textContent())?.trim().toUpperCase();
  const requestSent = page.waitForRequest((request) => request.resourceType() === 'fetch' && request.method() === method);
  await block.getByRole('button', { name: 'Execute' }).click();
  const request = await requestSent;

  const row = block.locator('.live-responses-table tbody tr.response').first();
  await row.waitFor();
  const statusText = (await row.locator('.response-col_status').textContent())?.trim() ?? '';
  const hasBody = (await row.locator('.response-col_description h5', { hasText: 'Response body' }).count()) > 0;
  const shownBody = hasBody ? await row.locator('.response-col_description .highlight-code pre').first().textContent() : '';
  return {
    status: /^\d{3}$/.test(statusText) ? Number(statusText) : undefined,
    body: shownBody ?? '',
    details: (await row.locator('.response-col_description').textContent()) ?? '',
    request,
  };
}

/**
 * Enters `value` for one security scheme in the "Authorize" dialog (a bearer token or an API key)
 * and closes the dialog. `scheme` is the scheme's name in the document; without it the dialog
 * must offer exactly one.
 */
export async function authorize(page: Page, value: string, scheme?: string): Promise<void> {
  await page.locator('.swagger-ui .auth-wrapper .btn.authorize').click();
  const dialog = page.locator('.swagger-ui .modal-ux');
  await dialog.waitFor();
  const container =
    scheme === undefined
      ? dialog.locator('.auth-container')
      : dialog.locator('.auth-container').filter({ has: page.locator('h4 code').getByText(scheme, { exact: true }) });
  await container.locator('input').fill(value);
  await container.getByRole('button', { name: 'Apply credentials' }).click();
  await container.locator('h6', { hasText: 'Authorized' }).waitFor();
  await dialog.locator('.btn-done').first().click();
  await dialog.waitFor({ state: 'detached' });
}
