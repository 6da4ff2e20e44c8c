import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';

/** Where the keys that verify access tokens come from; exactly one source when auth is on. */
export type JwtKeySource =
  | { kind: 'secret'; secret: Uint8Array }
  | { kind: 'public-key'; key: KeyObject; algorithm: 'RS256' | 'ES256' }
  | { kind: 'jwks'; jwks: JSONWebKeySet };

export interface JwtSettings {
  source: JwtKeySource;
  issuer: string | undefined;
  audience: string | undefined;
}

/** Auth at the upgrade (docs/limits-and-security.md); both parts are off unless configured. */
export interface AuthSettings {
  jwt: JwtSettings | undefined;
  /** Origins a browser may connect from; undefined: any. */
  allowedOrigins: string[] | undefined;
}

/** HS256 needs a key at least as long as its hash (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

export interface AuthEnv {
  AUTH_JWT_SECRET?: string;
  AUTH_JWT_PUBLIC_KEY_FILE?: string;
  AUTH_JWKS_FILE?: string;
  AUTH_JWT_ISSUER?: string;
  AUTH_JWT_AUDIENCE?: string;
  ALLOWED_ORIGINS?: string;
}

/**
 * Reads the auth variables, and the key files they name, at boot: a bad key fails the start
 * with the variable named rather than every upgrade later. Never echoes a secret.
 */
export function readAuthSettings(env: AuthEnv, ctx: z.RefinementCtx): AuthSettings {
  const problem = (message: string): undefined => {
    ctx.addIssue({ code: 'custom', message });
    return undefined;
  };
  const set = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);
  const sources = (['AUTH_JWT_SECRET', 'AUTH_JWT_PUBLIC_KEY_FILE', 'AUTH_JWKS_FILE'] as const).filter((name) => set(env[name]));
  if (sources.length > 1) problem(`set only one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY_FILE, AUTH_JWKS_FILE (got ${sources.join(', ')})`);

  let source: JwtKeySource | undefined;
  const secret = set(env.AUTH_JWT_SECRET);
  const keyFile = set(env.AUTH_JWT_PUBLIC_KEY_FILE);
  const jwksFile = set(env.AUTH_JWKS_FILE);
  if (secret !== undefined) {
    const bytes = new TextEncoder().encode(secret);
    source =
      bytes.length >= MIN_SECRET_BYTES
        ? { kind: 'secret', secret: bytes }
        : problem(`AUTH_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  } else if (keyFile !== undefined) {
    source = publicKeyFrom(keyFile, problem);
  } else if (jwksFile !== undefined) {
    source = jwksFrom(jwksFile, problem);
  }

  const origins = set(env.ALLOWED_ORIGINS)
    ?.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  const badOrigin = origins?.find((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  if (badOrigin !== undefined)
    problem(`ALLOWED_ORIGINS must be a comma list of origins like https://app.example.com (got "${badOrigin.slice(0, 120)}")`);

  return {
    jwt: source && { source, issuer: set(env.AUTH_JWT_ISSUER), audience: set(env.AUTH_JWT_AUDIENCE) },
    allowedOrigins: origins,
  };
}

function publicKeyFrom(path: string, problem: (message: string) => undefined): JwtKeySource | undefined {
  const pem = readText('AUTH_JWT_PUBLIC_KEY_FILE', path, problem);
  if (pem === undefined) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return problem(`AUTH_JWT_PUBLIC_KEY_FILE (${path}) is not a PEM public key`);
  }
  if (key.asymmetricKeyType === 'rsa') return { kind: 'public-key', key, algorithm: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { kind: 'public-key', key, algorithm: 'ES256' };
  }
  return problem(`AUTH_JWT_PUBLIC_KEY_FILE (${path}) must hold an RSA (RS256) or P-256 (ES256) public key`);
}

function jwksFrom(path: string, problem: (message: string) => undefined): JwtKeySource | undefined {
  const text = readText('AUTH_JWKS_FILE', path, problem);
  if (text === undefined) return undefined;
  try {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    if (Array.isArray(jwks.keys) && jwks.keys.length > 0) return { kind: 'jwks', jwks };
  } catch {
    // reported below
  }
  return problem(`AUTH_JWKS_FILE (${path}) must be a JSON Web Key Set with at least one key`);
}

function readText(name: string, path: string, problem: (message: string) => undefined): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return problem(`${name} (${path}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
