// Numbers: latency percentiles, medians, CPU diffs.

/** Concatenates and sorts Float64Arrays of latencies (ms). */
export function mergeSorted(arrays) {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return all.sort();
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function latencySummary(sorted) {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** User+system CPU µs spent between two `stats` answers of the same processes. */
export function cpuMicros(before, after) {
  let total = 0;
  for (let i = 0; i < before.length; i++)
    total +=
      after[i].cpu.user +
      after[i].cpu.system -
      before[i].cpu.user -
      before[i].cpu.system;
  return total;
}

export function cpuSplit(before, after) {
  let user = 0;
  let system = 0;
  for (let i = 0; i < before.length; i++) {
    user += after[i].cpu.user - before[i].cpu.user;
    system += after[i].cpu.system - before[i].cpu.system;
  }
  return { user, system };
}
