import { z } from 'zod';

/**
 * An integer environment variable with an inclusive range. The message names the variable and
 * the accepted range, because that is what an operator reading a crash-looping pod needs.
 */
export function intVar(name: string, fallback: number, min: number, max: number) {
  return optionalIntVar(name, min, max).transform((value) => value ?? fallback);
}

/** Like `intVar`, for a setting that is off when unset: `undefined` then. */
export function optionalIntVar(name: string, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
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
export function oneOfVar<const Values extends readonly [string, ...string[]]>(name: string, fallback: Values[number], values: Values) {
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
  return urlVar(name, ['ws:', 'wss:'], { fallback }).transform((value) => value ?? fallback);
}

/**
 * A URL with one of `protocols` (e.g. `['redis:', 'rediss:']`); undefined when unset and there is
 * no fallback. A `secret` URL (it may carry a password) is never echoed in the error.
 */
export function urlVar(name: string, protocols: string[], { fallback, secret = false }: { fallback?: string; secret?: boolean } = {}) {
  const schemes = protocols.map((protocol) => `${protocol}//`).join(' or ');
  return z
    .string()
    .optional()
    .transform((raw, ctx): string | undefined => {
      const value = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
      if (value === undefined) return undefined;
      if (!URL.canParse(value) || !protocols.includes(new URL(value).protocol)) {
        const got = secret ? '' : ` (got "${raw}")`;
        ctx.addIssue({ code: 'custom', message: `${name} must be a ${schemes} URL${got}` });
        return z.NEVER;
      }
      return value;
    });
}
