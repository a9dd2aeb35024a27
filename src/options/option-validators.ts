import { optionError } from '../realtime.messages';

// Small checks shared by the option resolvers: each throws an Error naming the option.

const NUMBER_KINDS = {
  ms: { integer: false, words: 'a number of milliseconds' },
  count: { integer: true, words: 'a whole number' },
  bytes: { integer: true, words: 'a whole number of bytes' },
} as const;

/** A number option: finite (whole for counts and bytes) and at least `min`. */
export function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  kind: keyof typeof NUMBER_KINDS,
): number {
  if (value === undefined) return fallback;
  const { integer, words } = NUMBER_KINDS[kind];
  if (
    typeof value !== 'number' ||
    !(integer ? Number.isInteger(value) : Number.isFinite(value)) ||
    value < min
  ) {
    throw new Error(
      optionError(name, `must be ${words} >= ${min}, got ${describe(value)}`),
    );
  }
  return value;
}

export function duration(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  return numberOption(name, value, fallback, min, 'ms');
}

export function count(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  return numberOption(name, value, fallback, min, 'count');
}

export function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new Error(
      optionError(name, `must be true or false, got ${describe(value)}`),
    );
  return value;
}

export function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new Error(
      optionError(
        name,
        `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      ),
    );
  }
  return value as T;
}

export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return String(value);
}
