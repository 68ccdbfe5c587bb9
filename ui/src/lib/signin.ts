// Browser sign-ins on the dashboard: CloudSSO profiles grouped by session →
// account → access configuration, and what each session shows. Pure: the
// profiles (with the core's `sign_in` view) and the core's sessions in,
// display groups out. Whether a session is signed in is the core's word
// (its session list), never worked out here from the profiles.
import { formatCountdown, formatSpan } from './format';
import type { ProfileStatus, SignInPrompt, SsoSessionInfo } from './types';

export interface AccessConfigRow {
  id: string;
  name: string;
  profile: ProfileStatus;
}

export interface AccountGroup {
  id: string;
  name: string;
  configs: AccessConfigRow[];
}

export interface SessionGroup {
  session: string;
  /** The core's view of the session (none yet: shown as signed out). */
  info: SsoSessionInfo | null;
  /** One of its access configurations is the active profile. */
  active: boolean;
  accounts: AccountGroup[];
}

export interface Grouped {
  sessions: SessionGroup[];
  /** Every other profile (oauth included), in the order given. */
  others: ProfileStatus[];
}

const byName = <T extends { name: string; id: string }>(a: T, b: T) =>
  a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** Group the profiles that sign in through a CloudSSO session by session →
 *  account → access configuration. */
export function groupSignIns(profiles: ProfileStatus[], known: SsoSessionInfo[]): Grouped {
  const sessions = new Map<string, SessionGroup>();
  const others: ProfileStatus[] = [];
  for (const p of profiles) {
    const v = p.sign_in;
    // Profiles that share a session's sign-in are grouped; the core names the
    // session in the sign-in view (the tray groups by the same field).
    if (!v?.session) {
      others.push(p);
      continue;
    }
    let s = sessions.get(v.session);
    if (!s) {
      s = { session: v.session, info: known.find((k) => k.name === v.session) ?? null, active: false, accounts: [] };
      sessions.set(v.session, s);
    }
    s.active ||= p.active;
    const accountId = v.account_id ?? '';
    let a = s.accounts.find((x) => x.id === accountId);
    if (!a) {
      a = { id: accountId, name: v.account_name || accountId || '(unknown account)', configs: [] };
      s.accounts.push(a);
    }
    const configId = v.access_config_id ?? '';
    a.configs.push({ id: configId, name: v.access_config_name || configId || p.name, profile: p });
  }
  const out = [...sessions.values()].sort((a, b) => a.session.localeCompare(b.session));
  for (const s of out) {
    s.accounts.sort(byName);
    for (const a of s.accounts) a.configs.sort(byName);
  }
  return { sessions: out, others };
}

export interface SessionView {
  /** "Signed in · 7h 59m 12s left" or "Sign in needed". */
  text: string;
  tone: 'ok' | 'warn' | 'bad';
  needsSignIn: boolean;
}

/** Sign-ins this close to their end are shown as a warning. */
export const SOON_MS = 15 * 60 * 1000;

/** What a session's header says at `now` (the shared clock's tick): the
 * core's state, counted down to the end the core gave. */
export function sessionView(s: SessionGroup, now: number): SessionView {
  const end = s.info?.expires_at ? Date.parse(s.info.expires_at) : NaN;
  const left = Number.isNaN(end) ? null : end - now;
  if (!s.info?.signed_in || (left !== null && left <= 0)) {
    return { text: 'Sign in needed', tone: 'bad', needsSignIn: true };
  }
  if (left === null) return { text: 'Signed in', tone: 'ok', needsSignIn: false };
  return { text: `Signed in · ${formatCountdown(left)} left`, tone: left < SOON_MS ? 'warn' : 'ok', needsSignIn: false };
}

/** Does a profile in the plain table offer "Sign in" (an oauth profile that needs one)? */
export function offersSignIn(p: ProfileStatus): boolean {
  return !!p.capabilities?.needs_sign_in;
}

/** Who a prompt is for, in words: "CloudSSO session corp" / "demo-oauth". */
export function promptTarget(p: Pick<SignInPrompt, 'profile' | 'session'>): string {
  if (p.session) return `CloudSSO session ${p.session}`;
  return p.profile ?? 'your profile';
}

/** The one line after a sign-in: when it ends, and what it touched. */
export function doneText(
  target: string,
  done: { expires_at: string | null; profiles: string[] },
  now: number,
): string {
  const left = done.expires_at ? Date.parse(done.expires_at) - now : NaN;
  // Whole minutes: the toast is read once, a ticking second would only be noise.
  const until = Number.isNaN(left)
    ? ''
    : ` until ${new Date(done.expires_at as string).toLocaleTimeString([], { hour12: false })} (${formatSpan(Math.round(left / 60_000) * 60)} from now)`;
  const n = done.profiles.length;
  const which = n > 1 ? ` ${n} profiles are ready.` : '';
  return `Signed in to ${target}${until}.${which}`;
}
