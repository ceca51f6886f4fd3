/**
 * Keeps `npm run soak` working: runs the soak script for a few seconds (4 clients, a kill every
 * 3 s) as a child process, as `npm run soak` does, and checks that it passes, prints the summary
 * a person reads, and the JSON summary with the same verdict. The soak test itself, minutes long,
 * is not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What a short soak run takes: start-up, 3 s warm-up, 5 s quiet, 8 s load, settling, stop. */
const RUN_TIMEOUT_MS = 90_000;

function runSoak(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoaderUrl, 'soak/soak.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // SIGINT lets the soak script stop its gateway and the gateway's children before it exits.
    const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS - 5_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it(
  'a short soak run passes and prints its summary',
  async () => {
    const { code, stdout, stderr } = await runSoak(['--duration', '8', '--clients', '4', '--chaos-interval', '3', '--warmup', '3', '--idle', '5', '--json']);
    const transcript = `exit code ${code}\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`;
    expect(code, transcript).toBe(0);

    expect(stdout, transcript).toMatch(/^mcpgate soak test: PASS$/m);
    for (const heading of [/^requests \(/m, /^clear failures: \d+/m, /^unclear failures: 0$/m, /^hangs: 0$/m, /^chaos: \d+ kills/m, /^gateway process \(pid \d+\)$/m, /^child processes: \d+ seen .*, 0 left behind/m]) {
      expect(stdout, transcript).toMatch(heading);
    }
    expect(stdout.trimEnd().split('\n').filter((line) => !line.startsWith('{')).at(-1)).toBe('PASS');

    const json = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as {
      verdict: string;
      requests: { total: { ok: number; unclear: number; hang: number } };
      chaos: { kills: unknown[] };
      gateway: { exit: { code: number } };
      children: { leftBehind: unknown[] };
    };
    expect(json.verdict).toBe('PASS');
    expect(json.requests.total.ok).toBeGreaterThan(0);
    expect(json.requests.total.unclear + json.requests.total.hang).toBe(0);
    // 3 s of warm-up and 8 s of load with a kill every 3 s: a few kills at least.
    expect(json.chaos.kills.length).toBeGreaterThanOrEqual(2);
    expect(json.gateway.exit.code).toBe(0);
    expect(json.children.leftBehind).toEqual([]);
  },
  RUN_TIMEOUT_MS,
);
