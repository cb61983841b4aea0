// A certified OpenID provider (oidc-provider) for Chorus's single sign-on tests, on
// 127.0.0.1 only. One static client (CLIENT_ID, CLIENT_SECRET, REDIRECT_URI from the
// environment), PKCE required, the built-in development pages for login and consent (any
// password is accepted; the login is the account id), and claims in the ID token.
//
// An account id containing "@" is its email; "unverified:x@y" has email x@y not verified;
// "noemail" has none; "x@y#g1,g2,team:Lyon" is in groups g1 and g2, department Lyon. SIGNING_KEY_SEED names the RSA key set (a new seed is a rotated key).
//
// ID_TOKEN_TAMPER makes the provider misbehave as a compromised or misconfigured one would: the
// ID token its token endpoint returns is re-signed with its own key after one claim changed:
// "nonce" (not the one the client sent), "expired" (exp an hour ago), "issuer" (another
// issuer's token). A relying party must refuse each.
//
// Prints one JSON line on stdout when ready: {"issuer":"http://127.0.0.1:PORT","port":PORT},
// then runs until its standard input closes or it gets SIGTERM/SIGINT. PORT may be given to
// come back on the same address (to rotate keys).

import { generateKeyPairSync, createHash } from 'node:crypto';
import net from 'node:net';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const HOST = '127.0.0.1';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
const issuer = `http://${HOST}:${port}`;
const seed = process.env.SIGNING_KEY_SEED || 'first';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = privateKey.export({ format: 'jwk' });
jwk.kid = `key-${seed}-${createHash('sha256').update(jwk.n).digest('hex').slice(0, 8)}`;
jwk.use = 'sig';
jwk.alg = 'RS256';

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.REDIRECT_URI.replace('/sign-in/oidc/callback', '/sign-in?done=signed_out')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups', 'department'] },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  cookies: { keys: ['chorus-test-peer-cookie-key'] },
  jwks: { keys: [jwk] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        if (id === 'noemail') {
          return { sub: id, name: 'No Email' };
        }
        const [who, groupList] = id.split('#');
        const groups = groupList ? groupList.split(',') : [];
        const team = groups.find((g) => g.startsWith('team:'));
        const unverified = who.startsWith('unverified:');
        const email = unverified ? who.slice('unverified:'.length) : who;
        const local = email.split('@')[0];
        return {
          sub: id,
          email,
          email_verified: !unverified,
          name: local.charAt(0).toUpperCase() + local.slice(1),
          groups: groups.filter((g) => !g.startsWith('team:')),
          ...(team ? { department: team.slice('team:'.length) } : {}),
        };
      },
    };
  },
});
provider.proxy = false;

const tamper = process.env.ID_TOKEN_TAMPER;
if (tamper) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || !ctx.body || typeof ctx.body.id_token !== 'string') {
      return;
    }
    const claims = jose.decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (tamper === 'nonce') {
      claims.nonce = 'a-nonce-the-client-never-sent';
    } else if (tamper === 'expired') {
      claims.iat = now - 7200;
      claims.exp = now - 3600;
    } else if (tamper === 'issuer') {
      claims.iss = 'http://127.0.0.1:9/another-issuer';
    }
    ctx.body = {
      ...ctx.body,
      id_token: await new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
        .sign(privateKey),
    };
  });
}

const server = provider.listen(port, HOST, () => {
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
