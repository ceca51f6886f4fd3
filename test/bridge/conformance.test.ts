/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, server scenarios)
 * against mcpgate's `/mcp` endpoint, with a full-featured server behind it
 * (`test/fixtures/conformance-server.ts`) as a stdio child and as a streamable HTTP upstream.
 *
 * What mcpgate owes is relative to the server behind it: every scenario the fixture passes when
 * the suite tests it directly must pass through mcpgate too. `dns-rebinding-protection` must pass
 * through mcpgate whatever the fixture does, since mcpgate checks Host and Origin itself.
 *
 * The suite runs once per target (all scenarios of a spec version in one process), on a Node 22
 * installed into `node_modules/.cache` on first use (see `test/helpers/conformance-suite.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/types.js';
import { startConformanceHttpServer, type ConformanceHttpServer } from '../fixtures/conformance-server.js';
import {
  describeFailures,
  ensureConformanceSuite,
  passedScenarios,
  runServerScenarios,
  type ConformanceSuite,
  type SuiteRun,
} from '../helpers/conformance-suite.js';
import { httpConfig, stdioConfig } from '../helpers/fixtures.js';
import { startBridgeGateway } from './bridge-gateway.js';

const fixturePath = fileURLToPath(new URL('../fixtures/conformance-server.ts', import.meta.url));
/** The tsx loader as an absolute file URL, so the stdio child finds it whatever its cwd. */
const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type UpstreamKind = 'stdio' | 'streamable-http';
type SpecVersion = '2025-11-25' | '2026-07-28';

/**
 * The fixture as mcpgate's upstream. Over HTTP the gateway speaks both eras to it at once: the
 * session era for sessions, and 2026-07-28 for that era's requests. A stdio child speaks the era
 * of its first message for good, so each suite gets the child its era needs (`"protocol"`).
 */
function upstreamConfig(kind: UpstreamKind, fixture: ConformanceHttpServer, specVersion: SpecVersion): UpstreamConfig {
  if (kind === 'streamable-http') return httpConfig(fixture.url, { name: 'conformance' });
  return stdioConfig({
    name: 'conformance',
    args: ['--import', tsxLoaderUrl, fixturePath, '--stdio'],
    ...(specVersion === '2026-07-28' ? { protocol: '2026-07-28' as const } : {}),
  });
}

function conformanceThroughMcpgate(specVersion: SpecVersion): void {
  let suite: ConformanceSuite;
  let outputRoot: string;
  let fixture: ConformanceHttpServer;
  let direct: SuiteRun;

  const run = (url: string, label: string) => runServerScenarios(suite, url, specVersion, join(outputRoot, label));

  beforeAll(async () => {
    // First run on a machine: npm installs the suite and Node 22 (a minute at most).
    suite = await ensureConformanceSuite();
    outputRoot = await mkdtemp(join(tmpdir(), `mcpgate-conformance-${specVersion}-`));
    fixture = await startConformanceHttpServer();
    direct = await run(fixture.url, 'direct');
  }, 300_000);

  afterAll(async () => {
    await fixture?.close();
    if (outputRoot) await rm(outputRoot, { recursive: true, force: true });
  });

  it('the fixture passes every scenario directly, so the comparison covers the whole suite', () => {
    const failing = [...direct.scenarios].filter(([, result]) => !result.passed).map(([name]) => name);
    expect(failing, `the fixture fails, tested directly:\n${describeFailures(direct, failing)}\n`).toEqual([]);
  });

  it.each<UpstreamKind>(['stdio', 'streamable-http'])(
    'through mcpgate, with the fixture as a %s upstream, passes every scenario the fixture passes directly',
    async (kind) => {
      const { url } = await startBridgeGateway([upstreamConfig(kind, fixture, specVersion)]);
      const through = await run(`${url}/mcp`, kind);

      const required = new Set([...passedScenarios(direct), 'dns-rebinding-protection']);
      const passing = passedScenarios(through);
      const failing = [...required].filter((name) => !passing.has(name));
      expect(failing, `through mcpgate (${kind} upstream), failing scenarios that pass directly:\n${describeFailures(through, failing)}\n`).toEqual([]);
    },
    120_000,
  );
}

describe('conformance suite, spec 2025-11-25', () => conformanceThroughMcpgate('2025-11-25'));

describe('conformance suite, spec 2026-07-28', () => conformanceThroughMcpgate('2026-07-28'));
