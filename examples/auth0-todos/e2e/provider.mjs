// An OpenID provider standing in for Auth0: the real `oidc-provider` package (login and consent
// pages, authorization code + PKCE, RS256 ID tokens, JWKS, RP-initiated logout), configured with a
// few users. The ID token's `https://insforge.dev/insforge_token` claim is produced by running
// ../auth0/post-login-action.js itself at every login, exactly as Auth0 runs a Post-Login Action.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';

export const ACTION_CLAIM = 'https://insforge.dev/insforge_token';
const ACTION_FILE = fileURLToPath(new URL('../auth0/post-login-action.js', import.meta.url));

/**
 * Runs the Post-Login Action for `user` and returns the custom claims it set. The Action's own
 * `require('jsonwebtoken')` resolves to this package's dependency, as Auth0 resolves an Action's
 * declared dependencies. `at` runs it as if the clock said so (for expired tokens).
 */
export async function runAction(user, secrets, { at } = {}) {
  const module = { exports: {} };
  const source = readFileSync(ACTION_FILE, 'utf8');
  new Function('exports', 'require', 'module', source)(module.exports, createRequire(import.meta.url), module);
  const idTokenClaims = {};
  const api = {
    idToken: { setCustomClaim: (name, value) => { idTokenClaims[name] = value; } },
    accessToken: { setCustomClaim: () => {} },
  };
  const event = { user: { user_id: user.id, email: user.email, name: user.name }, secrets };
  const realNow = Date.now;
  if (at !== undefined) Date.now = () => at;
  try {
    await module.exports.onExecutePostLogin(event, api);
  } finally {
    Date.now = realNow;
  }
  return idTokenClaims;
}

/** Swaps the payload of a signed token, keeping its signature: what a forger would try. */
export function tamper(token, changes) {
  const [header, payload, signature] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url')), ...changes };
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

/**
 * Starts the provider on loopback. `users` maps the login typed on its login page (the Auth0 user
 * id, e.g. `auth0|alice`) to `{ email, name, claim(user) }`, where `claim` returns the Action's
 * claims for that login. `clients` are the registered apps; `audience` is the API whose access
 * tokens are JWTs (Auth0's "API identifier").
 */
export async function startProvider({ users, clients, audience }) {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rs256', use: 'sig', alg: 'RS256' };
  const logins = [];
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['e2e-cookie-signing-key-0123456789'] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60 },
    // Claims of granted scopes go into the ID token, as Auth0 does.
    conformIdTokenClaims: false,
    claims: { openid: ['sub', ACTION_CLAIM], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(_ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims(use) {
          const claims = { sub: id, email: user.email, email_verified: true, name: user.name };
          if (use === 'id_token') {
            logins.push(id);
            Object.assign(claims, await user.claim({ id, ...user }));
          }
          return claims;
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'todos',
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    /** Users whose ID token was issued, in order. */
    logins,
    async stop() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(ok));
    },
  };
}
