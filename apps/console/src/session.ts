// The signed-in session: a bearer token pasted by the person (or handed over in a `#token=` fragment, which
// the browser never sends to a server), kept in this tab's session storage — never in a URL that leaves the
// page, never in local storage. What the token says (subject, roles, expiry) is only shown here: the gateway
// verifies it on every request, and `me` says what it lets this person do.

const KEY = 'strongroom.token';

export interface TokenClaims {
  subject: string;
  roles: string[];
  /** Seconds since the epoch, or undefined. */
  expiresAt: number | undefined;
}

/** The claims of a JWT, unverified (display only); undefined when it is not a JWT. */
export function readClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = atob(
      parts[1]
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(parts[1].length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as { sub?: unknown; roles?: unknown; exp?: unknown };
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : '',
      roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [],
      expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A pasted token, cleaned: "Bearer x" and surrounding blanks accepted. Undefined when it is not a JWT. */
export function cleanToken(input: string): string | undefined {
  const t = input.trim().replace(/^bearer\s+/i, '');
  return readClaims(t) ? t : undefined;
}

/** The token of a `#token=…` fragment, if any. */
export function tokenFromFragment(hash: string): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(hash);
  return m?.[1] ? cleanToken(decodeURIComponent(m[1])) : undefined;
}

/** Whether a token has expired by `now` (ms), with a minute of grace for clock skew. */
export function expired(claims: TokenClaims, now: number): boolean {
  return claims.expiresAt !== undefined && claims.expiresAt * 1000 < now - 60_000;
}

export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function loadToken(store: TokenStore): string | undefined {
  return store.getItem(KEY) ?? undefined;
}

export function saveToken(store: TokenStore, token: string): void {
  store.setItem(KEY, token);
}

export function forgetToken(store: TokenStore): void {
  store.removeItem(KEY);
}

/**
 * The explorer's storage: this tab's session storage, for the tabs, queries and history GraphiQL keeps,
 * until the person signs out. GraphiQL saves its tabs on a timer, so a save can come after sign-out forgot
 * them; a closed explorer storage drops such saves.
 */
class ExplorerStorage implements Storage {
  [name: string]: unknown;
  closed = false;
  constructor(private readonly store: Storage) {}
  get length(): number {
    return this.store.length;
  }
  clear(): void {
    this.store.clear();
  }
  getItem(key: string): string | null {
    return this.store.getItem(key);
  }
  key(index: number): string | null {
    return this.store.key(index);
  }
  removeItem(key: string): void {
    this.store.removeItem(key);
  }
  setItem(key: string, value: string): void {
    if (!this.closed) this.store.setItem(key, value);
  }
}

const openExplorers = new Set<ExplorerStorage>();

/** The storage an explorer opened now keeps its state in (see ExplorerStorage). */
export function explorerStorage(store: Storage): Storage {
  const s = new ExplorerStorage(store);
  openExplorers.add(s);
  return s;
}

/** At sign-out: the explorers opened so far save nothing more, and what they kept goes with the person. */
export function forgetExplorer(store: Storage): void {
  for (const s of openExplorers) s.closed = true;
  openExplorers.clear();
  for (const key of Object.keys(store)) if (key.startsWith('graphiql')) store.removeItem(key);
}
