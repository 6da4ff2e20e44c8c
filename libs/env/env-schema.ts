import { z } from 'zod';

/**
 * An integer environment variable with an inclusive range. The message names the variable and
 * the accepted range, because that is what an operator reading a crash-looping pod needs.
 */
export function intVar(name: string, fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer from ${min} to ${max} (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });
}

/** Parses `env` with `schema`, or throws one error that lists every bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** An environment variable that must be one of `values`. */
export function oneOfVar<const Values extends readonly [string, ...string[]]>(
  name: string,
  fallback: Values[number],
  values: Values,
) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): Values[number] => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = values.find((candidate) => candidate === raw.trim());
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must be one of ${values.join(', ')} (got "${raw}")` });
        return z.NEVER;
      }
      return value;
    });
}

/** A `ws://` or `wss://` URL. */
export function wsUrlVar(name: string, fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
      if (!URL.canParse(value) || !['ws:', 'wss:'].includes(new URL(value).protocol)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a ws:// or wss:// URL (got "${raw}")` });
        return z.NEVER;
      }
      return value;
    });
}
