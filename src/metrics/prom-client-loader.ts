import { createRequire } from 'node:module';
import { METRICS_WITHOUT_PROM_CLIENT } from '../realtime.messages';

/** The part of prom-client the module uses (README "Metrics and health"). */
export interface PromClient {
  register: PromRegistry;
  Counter: new (config: MetricConfig) => PromCounter;
  Gauge: new (config: MetricConfig) => PromGauge;
  Histogram: new (
    config: MetricConfig & { buckets?: number[] },
  ) => PromHistogram;
}

export interface PromRegistry {
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

export interface MetricConfig {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers: PromRegistry[];
  collect?: (this: never) => void;
}

export interface PromCounter {
  inc(labels: Record<string, string>, value: number): void;
  inc(value: number): void;
  reset(): void;
}

export interface PromGauge {
  set(value: number): void;
}

export interface PromHistogram {
  observe(labels: Record<string, string>, value: number): void;
  observe(value: number): void;
}

/** prom-client, an optional peer: a boot error that says to install it when it is missing. */
export function loadPromClient(
  load: (id: string) => unknown = createRequire(__filename),
): PromClient {
  try {
    return load('prom-client') as PromClient;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes('prom-client')
    )
      throw new Error(METRICS_WITHOUT_PROM_CLIENT, { cause: error });
    throw error;
  }
}
