/**
 * The interactive docs page (Swagger UI) served from the installed `swagger-ui-dist` package, so
 * the docs work offline and load nothing from the internet.
 *
 * Every URL in the page is relative: the page lives at `<base>/docs`, the document it shows at
 * `<base>/openapi.json` (`./openapi.json`) and its assets under `<base>/docs/` (`./docs/<file>`).
 * That keeps the page correct under any mount point, `--path-prefix` and a reverse proxy's
 * `--root-path`, without the server having to know the public URL.
 *
 * The page holds no inline script: Swagger UI is started by `swagger-initializer.js`, which this
 * module generates and serves next to the package's own assets, so a strict
 * `Content-Security-Policy: script-src 'self'` does not break the docs.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageVersion } from '../version.js';

/**
 * The package directory, found through Node's resolver rather than the package's own
 * `getAbsoluteFSPath()`, whose `index.js` also loads the whole browser bundle into Node.
 */
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const contentTypes = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  html: 'text/html; charset=utf-8',
  png: 'image/png',
} as const;

/** The files of `swagger-ui-dist` the page (and its OAuth2 redirect page) can load. */
const packageFiles: ReadonlyMap<string, string> = new Map([
  ['swagger-ui.css', contentTypes.css],
  ['swagger-ui-bundle.js', contentTypes.js],
  ['swagger-ui-standalone-preset.js', contentTypes.js],
  ['index.css', contentTypes.css],
  ['favicon-16x16.png', contentTypes.png],
  ['favicon-32x32.png', contentTypes.png],
  ['oauth2-redirect.html', contentTypes.html],
  // oauth2-redirect.html loads it by a relative URL; without it OAuth2 logins never complete.
  ['oauth2-redirect.js', contentTypes.js],
]);

/** Our own start-up script; it takes the name of the package's example initializer it replaces. */
const initializerFile = 'swagger-initializer.js';

/**
 * Starts Swagger UI. Resolved against the page's URL: the document at `./openapi.json`, the OAuth2
 * redirect page at `./docs/oauth2-redirect.html` (Swagger UI's own default drops the `/docs` segment).
 */
const initializerScript = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('./openapi.json', window.location.href).href,
    dom_id: '#swagger-ui',
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    showExtensions: true,
    showCommonExtensions: true,
    // No calls to the public validator: the docs must work offline and leak nothing.
    validatorUrl: null,
    queryConfigEnabled: false,
    oauth2RedirectUrl: new URL('./docs/oauth2-redirect.html', window.location.href).href,
  });
});
`;

/**
 * Appended to asset URLs so a browser that cached an older Swagger UI (or an older start-up
 * script) fetches the new one after an upgrade, while the long `max-age` spares every other reload.
 */
const swaggerUiVersion = (
  JSON.parse(readFileSync(join(swaggerUiDir, 'package.json'), 'utf8')) as { version: string }
).version;
const assetVersion = encodeURIComponent(`${swaggerUiVersion}-${packageVersion}`);

/** Long enough to spare reloads; the `?v=` query string takes care of upgrades. */
const assetCacheControl = 'public, max-age=604800';

interface CachedAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/** Filled on first request of each file; the files never change while the process runs. */
const assetCache = new Map<string, CachedAsset>();

function loadAsset(file: string): CachedAsset | undefined {
  if (file === initializerFile) return { body: new TextEncoder().encode(initializerScript), contentType: contentTypes.js };
  const contentType = packageFiles.get(file);
  if (contentType === undefined) return undefined;
  const bytes = readFileSync(join(swaggerUiDir, file));
  return { body: new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), contentType };
}

/**
 * Serves one docs asset by file name: the allow-listed `swagger-ui-dist` files (swagger-ui.css,
 * swagger-ui-bundle.js, swagger-ui-standalone-preset.js, index.css, favicon-16x16.png,
 * favicon-32x32.png, oauth2-redirect.html, oauth2-redirect.js) and the page's own
 * `swagger-initializer.js`. Returns `undefined` for any other name, so no path ever reaches the
 * file system unchecked. Files are read once, on first use, and kept in memory.
 */
export function docsAsset(file: string): Response | undefined {
  let asset = assetCache.get(file);
  if (asset === undefined) {
    asset = loadAsset(file);
    if (asset === undefined) return undefined;
    assetCache.set(file, asset);
  }
  return new Response(asset.body, {
    headers: {
      'Content-Type': asset.contentType,
      'Content-Length': String(asset.body.byteLength),
      'Cache-Control': assetCacheControl,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

/**
 * The Swagger UI page. URLs inside are relative so the page works under any mount, `--path-prefix`
 * and reverse-proxy `--root-path`: the page is served at `<base>/docs` (no trailing slash) and loads
 * `<base>/openapi.json` as `./openapi.json` and its assets as `./docs/<file>`.
 */
export function docsPageHtml(options: { title: string }): string {
  const asset = (file: string): string => `./docs/${file}?v=${assetVersion}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
<link rel="stylesheet" href="${asset('index.css')}">
<link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
<link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset(initializerFile)}"></script>
</body>
</html>
`;
}
