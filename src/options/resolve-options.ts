import { OPTIONS_NOT_OBJECT, OPTIONS_WRONG } from '../realtime.messages';
import { OptionProblems, resolveFields } from './option-kinds';
import {
  OPTIONS,
  type RealtimeModuleOptions,
  type ResolvedRealtimeOptions,
} from './option-schema';

/**
 * Applies defaults and validates every option of the schema. Every bad option is
 * reported at once, each naming itself (an unknown one with the nearest known name).
 */
export function resolveOptions(
  raw: RealtimeModuleOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedRealtimeOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new Error(OPTIONS_NOT_OBJECT);
  const problems: string[] = [];
  const resolved = resolveFields(
    OPTIONS,
    options,
    '',
    { env, resolved: {}, given: options },
    problems,
  );
  if (problems.length === 1) throw new Error(problems[0]);
  if (problems.length > 1)
    throw new OptionProblems([
      OPTIONS_WRONG(problems.length),
      ...problems.map((problem) => `  - ${problem}`),
    ]);
  return {
    ...resolved,
    secretGenerated: options.secret === undefined || options.secret === '',
    registryFromEnv:
      options.registry === undefined && resolved.registry === 'redis',
    redisIgnored: options.redis !== undefined && resolved.registry !== 'redis',
  };
}
