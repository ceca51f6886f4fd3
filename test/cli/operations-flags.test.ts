/**
 * The operations flags become config fields, and each bad value is refused naming the flag and
 * what it expects; one run of the real command checks the refusal reaches the terminal (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { operationsFlags } from '../../src/cli/operations-flags.js';
import { parseCommandLine } from '../../src/cli/options.js';
import { runCli } from './run-cli.js';

const flagsOf = (...argv: string[]) => operationsFlags(parseCommandLine([...argv, '--', 'node', 'server.js']).options);

describe('operations flags', () => {
  it('leave everything to the defaults when not given', () => {
    expect(flagsOf()).toEqual({});
  });

  it('set the limits, metrics and shutdown deadline', () => {
    expect(
      flagsOf('--max-header-size', '32768', '--max-concurrent-requests', '8', '--max-total-sessions', '0', '--metrics-public', '--shutdown-timeout', '2.5'),
    ).toEqual({
      limits: { maxHeaderBytes: 32768, maxConcurrentRequests: 8, maxSessions: 0 },
      metrics: { enabled: true, public: true },
      shutdownTimeoutMs: 2500,
    });
    expect(flagsOf('--no-metrics')).toEqual({ metrics: { enabled: false, public: false } });
    expect(flagsOf('--shutdown-timeout', '0')).toEqual({ shutdownTimeoutMs: 0 });
  });

  it.for([
    [['--max-header-size', '100'], '--max-header-size: expected a whole number of bytes from 1024 to 1048576, got "100"'],
    [['--max-header-size', '16k'], '--max-header-size: expected a whole number of bytes from 1024 to 1048576, got "16k"'],
    [['--max-concurrent-requests', '-1'], '--max-concurrent-requests: expected a whole number of requests (0: no limit) from 0 to 1000000, got "-1"'],
    [['--max-total-sessions', '1.5'], '--max-total-sessions: expected a whole number of sessions (0: no limit) from 0 to 10000000, got "1.5"'],
    [['--shutdown-timeout', 'soon'], '--shutdown-timeout: expected a number of seconds from 0 (cancel at once) to'],
    [['--shutdown-timeout', '-3'], '--shutdown-timeout: expected a number of seconds from 0 (cancel at once) to'],
    [['--no-metrics', '--metrics-public'], '--metrics-public serves /metrics, which --no-metrics turns off'],
  ] as const)('refuses %j', ([argv, message]) => {
    expect(() => flagsOf(...argv)).toThrow(message);
  });

  it('the real command exits 2 naming the flag', async () => {
    const outcome = await runCli(['--max-concurrent-requests', 'many', '--', 'node', 'server.js']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('--max-concurrent-requests: expected a whole number of requests');
  });
});
