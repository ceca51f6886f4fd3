/**
 * CPU time and memory of another process, read from Linux `/proc`.
 *
 * CPU: `/proc/<pid>/stat` fields 14 and 15 (utime, stime) count clock ticks spent in user and
 * kernel mode by that process only (its threads included, its children not). Node has no API for
 * the tick length, so it is asked from `getconf CLK_TCK` once; 100 (the Linux default on every
 * common architecture) if that fails. One tick is 10 ms at 100 Hz, so a reading over a 10 s run
 * of thousands of calls is precise to well under 1%.
 *
 * Memory: `/proc/<pid>/status` `VmRSS` (resident set now) and `VmHWM` (its high-water mark since
 * the process started), both in kB.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second, and where the number came from (printed with the results). */
export const clockTicks: { perSecond: number; source: string } = readClockTicks();

function readClockTicks(): { perSecond: number; source: string } {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(value) && value > 0) return { perSecond: value, source: 'getconf CLK_TCK' };
  } catch {
    // No getconf: fall through to the Linux default.
  }
  return { perSecond: 100, source: 'assumed (getconf CLK_TCK unavailable)' };
}

/** The fields of `/proc/<pid>/stat` after the `(comm)` field, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time the process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  // After "(comm)", index 0 is field 3 (state): utime (field 14) is index 11, stime (15) index 12.
  const fields = statFields(pid);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicks.perSecond;
}

/** The parent pid of a process. */
function parentPid(pid: number): number {
  return Number(statFields(pid)[1]);
}

/** Pids whose parent is `pid` (scans `/proc`; processes that vanish mid-scan are skipped). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (parentPid(Number(entry)) === pid) children.push(Number(entry));
    } catch {
      // Exited between readdir and read.
    }
  }
  return children;
}

/** Resident set size now and its peak so far, in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rss: kB('VmRSS') / 1024, peak: kB('VmHWM') / 1024 };
}
