// Browser sign-ins on the dashboard: the core's CloudSSO session groups
// (session → account → access configuration, each session with the core's
// one signed-in state) with the profiles' statuses put in, and what each
// session's header shows. Pure; nothing here judges a session.
import { formatCountdown, formatSpan } from './format';
import type { AccountGroup, ProfileStatus, SessionGroup, SignInPrompt } from './generated/api';

export interface ShownSession extends Omit<SessionGroup, 'accounts'> {
  accounts: Array<Omit<AccountGroup, 'configs'> & { configs: Array<{ id: string; name: string; profile: ProfileStatus }> }>;
}

export interface Grouped {
  sessions: ShownSession[];
  /** Every profile no session lists (oauth included), in the order given. */
  others: ProfileStatus[];
}

/** The core's groups, with each access configuration's status; a profile
 * the groups do not know yet stays in the table. */
export function groupSignIns(profiles: ProfileStatus[], groups: SessionGroup[]): Grouped {
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const placed = new Set<string>();
  const sessions = groups.map((g) => ({
    ...g,
    accounts: g.accounts.map((a) => ({
      ...a,
      configs: a.configs.flatMap((c) => {
        const profile = byName.get(c.profile);
        if (!profile) return [];
        placed.add(c.profile);
        return [{ id: c.id, name: c.name, profile }];
      }),
    })),
  }));
  return { sessions, others: profiles.filter((p) => !placed.has(p.name)) };
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
export function sessionView(s: Pick<SessionGroup, 'signed_in' | 'expires_at'>, now: number): SessionView {
  const end = s.expires_at ? Date.parse(s.expires_at) : NaN;
  const left = Number.isNaN(end) ? null : end - now;
  if (!s.signed_in || (left !== null && left <= 0)) {
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
