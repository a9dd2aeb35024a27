import { optionError } from '../realtime.messages';
import { bool, describe, numberOption, oneOf } from './option-validators';

/** What a resolver knows besides the value: the environment and the options resolved before it. */
export interface OptionContext {
  readonly env: NodeJS.ProcessEnv;
  readonly resolved: Readonly<Record<string, unknown>>;
  /** The options as the app passed them (top level). */
  readonly given?: Readonly<Record<string, unknown>>;
}

/** How an option's default reads in the README's configuration table. */
export type OptionKind = 'ms' | 'count' | 'bytes' | 'value' | 'group';

/**
 * One option of the schema: its default and its check. `In` is what users may pass,
 * `Out` what the module works with.
 */
export interface Option<In, Out> {
  readonly kind: OptionKind;
  /** The value when the option is left out. */
  fallback(context: OptionContext): Out;
  /** Validates and normalizes a given value; throws an Error naming the option. */
  check(value: unknown, name: string, context: OptionContext): Out;
  /** The default as the README shows it, when it is not the plain value. */
  readonly shows?: string;
  /** A group's own options (`cookie.*`, `rateLimit.*`). */
  readonly fields?: Schema;
  /** Type only: what users may pass. */
  readonly input?: In;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a schema holds options of every type
export type Schema = Record<string, Option<any, any>>;
export type InputOf<O> = O extends Option<infer I, unknown> ? I : never;
export type OutputOf<O> = O extends Option<unknown, infer R> ? R : never;
/** What users pass: every option optional (a homomorphic map, so each keeps its doc comment). */
export type InputsOf<S extends Schema> = { [K in keyof S]?: InputOf<S[K]> };
/** What the module works with: every option present. */
export type OutputsOf<S extends Schema> = { [K in keyof S]: OutputOf<S[K]> };

function numeric(
  kind: 'ms' | 'count' | 'bytes',
  fallback: number,
  min: number,
): Option<number, number> {
  return {
    kind,
    fallback: () => fallback,
    check: (value, name) => numberOption(name, value, fallback, min, kind),
  };
}

/** A duration in milliseconds, at least `min`. */
export const ms = (fallback: number, min: number) =>
  numeric('ms', fallback, min);
/** A whole number, at least `min`. */
export const count = (fallback: number, min: number) =>
  numeric('count', fallback, min);
/** A whole number of bytes, at least `min`. */
export const bytes = (fallback: number, min: number) =>
  numeric('bytes', fallback, min);

export function flag(fallback: boolean): Option<boolean, boolean> {
  return {
    kind: 'value',
    fallback: () => fallback,
    check: (value, name) => bool(name, value, fallback),
  };
}

export function choice<T extends string>(
  allowed: readonly T[],
  fallback: T,
): Option<T, T> {
  return {
    kind: 'value',
    fallback: () => fallback,
    check: (value, name) => oneOf(name, value, allowed, fallback),
  };
}

/** Any other option: its own default and check. */
export function custom<In, Out>(spec: {
  fallback: (context: OptionContext) => Out;
  check: (value: unknown, name: string, context: OptionContext) => Out;
  shows?: string;
}): Option<In, Out> {
  return { kind: 'value', ...spec };
}

/**
 * An object of options of its own (`cookie`, `rateLimit`): each field is checked like
 * an option (`cookie.name`), unknown fields are refused, `check` relates the fields.
 */
export function group<S extends Schema>(
  fields: S,
  check?: (resolved: OutputsOf<S>, name: string) => void,
): Option<InputsOf<S>, OutputsOf<S>> {
  const keys = Object.keys(fields);
  return {
    kind: 'group',
    fields,
    fallback: (context) => resolveFields(fields, {}, '', context, []),
    check: (value, name, context) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error(
          optionError(
            name,
            `must be an object { ${keys.join(', ')} }, got ${describe(value)}`,
          ),
        );
      const problems: string[] = [];
      const resolved = resolveFields(
        fields,
        value as Record<string, unknown>,
        `${name}.`,
        context,
        problems,
      );
      if (problems.length === 0) check?.(resolved, name);
      if (problems.length > 0) throw new OptionProblems(problems);
      return resolved;
    },
  };
}

/**
 * A group that `false` turns off (`history`): `false` stays `false`, an object is
 * checked like `group` (a partial one merged with the defaults).
 */
export function groupOrFalse<S extends Schema>(
  fields: S,
  shows: string,
): Option<InputsOf<S> | false, OutputsOf<S> | false> {
  const inner = group(fields);
  return {
    ...inner,
    shows,
    check: (value, name, context) =>
      value === false ? false : inner.check(value, name, context),
  } as Option<InputsOf<S> | false, OutputsOf<S> | false>;
}

/** Several problems at once (a group's fields); resolveOptions lists each. */
export class OptionProblems extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Levenshtein distance, for "did you mean" (option names are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = saved;
    }
  }
  return row[b.length];
}

/** The known name an unknown one was probably meant to be. */
export function nearest(
  name: string,
  known: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d =
      candidate.toLowerCase() === name.toLowerCase()
        ? 0
        : distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4))
    ? best
    : undefined;
}

/**
 * Resolves `raw` against `fields`, in schema order: unknown keys refused (with the
 * nearest known name), each given value checked, each missing one defaulted. Problems
 * are collected, not thrown, so a user sees every bad option at once.
 */
export function resolveFields<S extends Schema>(
  fields: S,
  raw: Readonly<Record<string, unknown>>,
  prefix: string,
  context: OptionContext,
  problems: string[],
): OutputsOf<S> {
  const known = Object.keys(fields);
  for (const key of Object.keys(raw)) {
    if (Object.hasOwn(fields, key)) continue;
    const near = nearest(key, known);
    problems.push(
      optionError(
        prefix + key,
        `is not a known option${near ? ` (did you mean "${prefix + near}"?)` : ''}`,
      ),
    );
  }
  const out: Record<string, unknown> = {};
  const local: OptionContext = prefix
    ? context
    : { env: context.env, resolved: out, given: raw };
  for (const key of known) {
    const option = fields[key];
    const value = raw[key];
    try {
      out[key] =
        value === undefined
          ? option.fallback(local)
          : option.check(value, prefix + key, local);
    } catch (error) {
      if (error instanceof OptionProblems) problems.push(...error.problems);
      else problems.push((error as Error).message);
    }
  }
  return out as OutputsOf<S>;
}
