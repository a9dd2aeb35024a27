import type { OptionContext, OutputsOf, Schema } from './option-kinds';
import { OPTIONS } from './option-schema';

/** Each option's default outside production (the secret has none: it is made per process). */
function defaultsOf(schema: Schema): Record<string, unknown> {
  const context: OptionContext = { env: {}, resolved: {} };
  const out: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(schema)) {
    if (name === 'secret') continue;
    out[name] = option.fields
      ? defaultsOf(option.fields)
      : option.fallback(context);
  }
  return out;
}

/** The defaults of README "API" (the schema's, read once). */
export const DEFAULTS = defaultsOf(OPTIONS) as Readonly<
  Omit<OutputsOf<typeof OPTIONS>, 'secret'>
>;
