// Where the access token lives: sessionStorage only (gone with the tab; never a cookie, never
// localStorage). It arrives pasted, or in the URL fragment of Supabase's redirect
// (#access_token=...&refresh_token=...&expires_in=...), which is read once and erased.

const KEY = "orion.accessToken";

export function storedToken() {
  return sessionStorage.getItem(KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(KEY, token.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/** Adopts a token from Supabase's redirect fragment; true if one was found. */
export function adoptFragmentToken() {
  const hash = window.location.hash.slice(1);
  if (!hash.includes("access_token=")) return false;
  const token = new URLSearchParams(hash).get("access_token");
  // Drop the fragment (and the refresh token in it) from the address bar and history.
  window.history.replaceState(null, "", `${window.location.pathname}#/overview`);
  if (!token) return false;
  storeToken(token);
  return true;
}

/** The token's claims, for display only: the API verifies every request itself. */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}
