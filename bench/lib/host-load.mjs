// How busy the whole machine was (user+nice+system of every CPU, from /proc/stat), so a
// phase can tell how much CPU went to processes that are not the bench's own.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** Busy CPU µs of the machine since boot; NaN where /proc/stat is not available. */
export function hostBusyMicros() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system] = line
      .trim()
      .split(/\s+/)
      .slice(1, 4)
      .map(Number);
    return (user + nice + system) * TICK_US;
  } catch {
    return NaN;
  }
}

export const CORES = os.availableParallelism?.() ?? os.cpus().length;

function table(file, prefix) {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${prefix}:`));
  if (lines.length < 2) return {};
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/**
 * Kernel counters that explain connections lost without any server closing them: on
 * loopback, packets over `net.core.netdev_max_backlog` are dropped, TCP retransmits,
 * and a connection whose retransmissions time out is aborted. Zeros off Linux.
 */
export function kernelNetCounters() {
  try {
    let softnetDrops = 0;
    for (const line of readFileSync('/proc/net/softnet_stat', 'utf8')
      .trim()
      .split('\n'))
      softnetDrops += parseInt(line.split(/\s+/)[1], 16);
    const ext = table('/proc/net/netstat', 'TcpExt');
    const tcp = table('/proc/net/snmp', 'Tcp');
    return {
      softnetDrops,
      retransSegs: tcp.RetransSegs ?? 0,
      abortOnTimeout: ext.TCPAbortOnTimeout ?? 0,
    };
  } catch {
    return { softnetDrops: 0, retransSegs: 0, abortOnTimeout: 0 };
  }
}

/** The current net.core.netdev_max_backlog, or undefined. */
export function netdevMaxBacklog() {
  try {
    return Number(
      readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8'),
    );
  } catch {
    return undefined;
  }
}
