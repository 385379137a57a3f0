/**
 * Auth0 Post-Login Action: signs an InsForge (oxforge) token for the user who just logged in and
 * puts it into the ID token, as the "Auth0 + InsForge" guide does.
 *
 * In the Auth0 dashboard: Actions → Library → Create Action → "Login / Post Login";
 * add the dependency `jsonwebtoken`, the secret `INSFORGE_JWT_SECRET` (the value of
 * `oxforge secrets get JWT_SECRET`), paste this file, Deploy, and drag it into the Login flow.
 *
 * The end-to-end test (e2e/) runs this very file to produce the claim its OIDC provider issues.
 */
exports.onExecutePostLogin = async (event, api) => {
  const jwt = require('jsonwebtoken');

  const insforgeToken = jwt.sign(
    {
      sub: event.user.user_id,
      role: 'authenticated',
      aud: 'insforge-api',
      email: event.user.email,
    },
    event.secrets.INSFORGE_JWT_SECRET,
    { algorithm: 'HS256', expiresIn: '1h' },
  );

  api.idToken.setCustomClaim('https://insforge.dev/insforge_token', insforgeToken);
};
