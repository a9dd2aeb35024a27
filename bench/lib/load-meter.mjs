// How much of the machine a measured stretch left to other processes, when the bench's
// own processes are known by PID (the churn scenario: one of them is SIGKILLed
// midway, so its CPU is sampled just before): host busy CPU from /proc/stat minus
// the listed processes' CPU (from /proc) and this process's own.
import { CORES, hostBusyMicros, kernelNetCounters } from './host-load.mjs';
import { procCpuMicros } from './redis.mjs';

export function startLoadMeter(pids) {
  const host = hostBusyMicros();
  const wall = performance.now();
  const net = kernelNetCounters();
  const self = process.cpuUsage();
  const first = new Map(pids.map((pid) => [pid, procCpuMicros(pid)]));
  const last = new Map(first);
  const sample = (pid) => {
    const value = procCpuMicros(pid);
    if (Number.isFinite(value)) last.set(pid, value);
  };
  return {
    /** Call before killing `pid`: its CPU up to then. */
    sample,
    /** `{ ownCpuUs, otherCpuPercent, kernel }` since the start. */
    end() {
      for (const pid of pids) sample(pid);
      const mine = process.cpuUsage(self);
      let own = mine.user + mine.system;
      for (const pid of pids) own += last.get(pid) - first.get(pid);
      const wallUs = (performance.now() - wall) * 1000;
      const netAfter = kernelNetCounters();
      return {
        ownCpuUs: own,
        otherCpuPercent: Math.max(
          0,
          (100 * (hostBusyMicros() - host - own)) / (wallUs * CORES),
        ),
        kernel: Object.fromEntries(
          Object.keys(netAfter).map((k) => [k, netAfter[k] - net[k]]),
        ),
      };
    },
  };
}
