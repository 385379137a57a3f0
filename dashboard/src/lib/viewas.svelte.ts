// "View as": whose eyes the grid and the SQL editor look through. `null` role = the admin
// (project_admin, which bypasses RLS). Otherwise queries go through POST /api/oxforge/sql/as,
// which runs them in one transaction as that role with the JWT claims a real token would carry.

export interface ViewAs {
  role: 'anon' | 'authenticated' | null;
  /** For `authenticated`: the token's `sub` (a user's id, or a third-party subject like `auth0|alice`). */
  sub?: string;
  /** What the picker shows (an email, or the sub). */
  label?: string;
}

export const viewAs = $state<ViewAs>({ role: null });
