/**
 * One measured run of a load: its warm-up, then the run itself with the CPU time of the gateway,
 * of the demo server and of this process read around it.
 *
 * @module
 */
import type { GatewayProcess } from './gateway-process.js';
import type { Load } from './paths.js';
import { cpuMs, memoryMiB } from './proc-stats.js';
import type { PathMeasurement } from './report.js';

/** What a measured run is compared with and charged to. */
export interface Processes {
  /** The gateway serving the path; undefined for direct. */
  gateway: GatewayProcess | undefined;
  /** The demo server answering the path. */
  upstreamPid: number | undefined;
}

/** Seconds of warm-up (not measured), then seconds measured. */
export interface RunTiming {
  warmupSeconds: number;
  seconds: number;
}

/** Warm-up (none when its seconds are 0), then the measured run. The ratio to direct is filled in by the caller. */
export async function measureRun(load: Load, processes: Processes, timing: RunTiming): Promise<Omit<PathMeasurement, 'ratioToDirect'>> {
  if (timing.warmupSeconds > 0) await load.run(timing.warmupSeconds);
  const { gateway, upstreamPid } = processes;
  const gatewayCpuBefore = gateway === undefined ? 0 : cpuMs(gateway.pid);
  const upstreamCpuBefore = upstreamPid === undefined ? 0 : cpuMs(upstreamPid);
  const clientCpuBefore = process.cpuUsage();
  const run = await load.run(timing.seconds);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const gatewayCpu = gateway === undefined ? undefined : cpuMs(gateway.pid) - gatewayCpuBefore;
  const upstreamCpu = upstreamPid === undefined ? undefined : cpuMs(upstreamPid) - upstreamCpuBefore;
  return {
    path: run.path,
    run,
    gatewayCpuMsPerCall: gatewayCpu === undefined ? null : gatewayCpu / run.responses,
    clientCpuMsPerCall: (clientCpu.user + clientCpu.system) / 1000 / run.responses,
    upstreamCpuMsPerCall: upstreamCpu === undefined ? null : upstreamCpu / run.responses,
    gatewayPeakRssMiB: gateway === undefined ? null : memoryMiB(gateway.pid).peak,
  };
}
