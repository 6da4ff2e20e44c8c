import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { JwtSettings } from '../../config/auth-settings.js';

/** Clock skew tolerated on `exp` and `nbf` between the token issuer and this server. */
const CLOCK_TOLERANCE_S = 5;

/** Verifies access tokens with `jose`: signature, algorithm, expiry and, when set, issuer and audience. */
export class JwtAuthenticator {
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;

  constructor(settings: JwtSettings) {
    const { source } = settings;
    let algorithms: string[];
    switch (source.kind) {
      case 'secret':
        this.key = source.secret;
        algorithms = ['HS256'];
        break;
      case 'public-key':
        this.key = source.key;
        algorithms = [source.algorithm];
        break;
      case 'jwks':
        this.key = createLocalJWKSet(source.jwks);
        algorithms = ['RS256', 'ES256'];
    }
    this.options = { algorithms, issuer: settings.issuer, audience: settings.audience, clockTolerance: CLOCK_TOLERANCE_S };
  }

  /** Resolves with the token's subject; rejects with why the token is not accepted. */
  async verify(token: string): Promise<string> {
    // One call shape for both key kinds: jose takes a key or a key resolver.
    const { payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, this.options);
    return payload.sub ?? '(no subject)';
  }
}
