// Pure display helpers: countdowns, durations, state badges, lifetime bars.
import type { Capabilities, ChainLink, ProfileState, ProfileStatus, RotationStatus } from './generated/api';

/** The core's remedy, in the dashboard's words (its controls, not CLI flags). */
export const REMEDY_WORDS: Record<NonNullable<Capabilities['remedy']>, string> = {
  'sign-in': 'Press Sign in to sign in again in your browser.',
  'new-secret': 'Press Edit and enter a new secret.',
  'edit-profile': 'Press Edit and fix the profile’s settings.',
};

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
};

/** "1h 02m 05s", "4m 09s", "42s"; negative → "expired". */
export function formatCountdown(remainingMs: number): string {
  if (remainingMs <= 0) return 'expired';
  const s = Math.floor(remainingMs / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const p2 = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${p2(m)}m ${p2(sec)}s`;
  if (m > 0) return `${m}m ${p2(sec)}s`;
  return `${sec}s`;
}

/** Countdown to `expires` as seen at `now`; long-term keys never expire. */
export function expiresIn(expires: string | null | undefined, now: number): string {
  const t = ms(expires);
  if (t === null) return 'never';
  return formatCountdown(t - now);
}

/** A human span in whole units: "3 min", "1 h 5 min", "2 days". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  return d === 1 ? '1 day' : `${d} days`;
}

/** "12 s ago", "5 min ago", "in 3 min", "—" for nothing. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  const t = ms(iso);
  if (t === null) return '—';
  const diff = (t - now) / 1000;
  if (Math.abs(diff) < 2) return 'just now';
  return diff < 0 ? `${formatSpan(-diff)} ago` : `in ${formatSpan(diff)}`;
}

/** Local HH:MM:SS for the event log. */
export function formatClock(iso: string): string {
  const t = ms(iso);
  if (t === null) return iso;
  return new Date(t).toLocaleTimeString([], { hour12: false });
}

export type Tone = 'ok' | 'busy' | 'warn' | 'bad' | 'muted';

export interface Badge {
  label: string;
  tone: Tone;
  /** The state's explanation in words a user can act on. */
  detail: string;
}

export function stateBadge(state: ProfileState, now: number, remedy?: Capabilities['remedy']): Badge {
  switch (state.kind) {
    case 'idle':
      return { label: 'Idle', tone: 'muted', detail: 'Not fetched yet: credentials are fetched on first use or on Refresh.' };
    case 'fresh':
      return {
        label: 'Fresh',
        tone: 'ok',
        detail: state.expires ? `Valid; refreshed automatically before ${new Date(state.expires).toLocaleTimeString([], { hour12: false })}.` : 'Valid long-term key.',
      };
    case 'refreshing':
      return { label: 'Refreshing', tone: 'busy', detail: 'Fetching new credentials; the current ones are still served.' };
    case 'degraded':
      return {
        label: 'Degraded',
        tone: 'warn',
        detail: `Last refresh failed: ${state.error || 'unknown error'}. Still serving the current credentials${state.expires ? ` (valid ${expiresIn(state.expires, now)})` : ''}; retrying ${formatRelative(state.retry_at, now)}.`,
      };
    case 'expired':
      return {
        label: 'Expired',
        tone: 'bad',
        detail: `No valid credentials: ${state.error || 'unknown error'}. alicred keeps retrying; fix the cause or press Refresh.`,
      };
    case 'needs-user':
    {
      const why = state.why || 'This profile needs your action.';
      const fix = remedy ? `${/[.!?]$/.test(why) ? '' : '.'} ${REMEDY_WORDS[remedy]}` : '';
      return { label: 'Needs you', tone: 'bad', detail: why + fix };
    }
    default:
      return { label: String((state as { kind: string }).kind), tone: 'muted', detail: '' };
  }
}

export interface LifetimeBar {
  /** Position of "now" between issue and expiry, 0–100. */
  elapsedPct: number;
  /** Position of the planned refresh, 0–100 (null when unknown). */
  refreshPct: number | null;
  /** Past the planned refresh? */
  pastRefresh: boolean;
  expired: boolean;
}

/** Where now and the planned refresh fall on the issued → expiry line. */
export function lifetimeBar(
  issued: string | null | undefined,
  refresh: string | null | undefined,
  expires: string | null | undefined,
  now: number,
): LifetimeBar | null {
  const a = ms(issued);
  const z = ms(expires);
  if (a === null || z === null || z <= a) return null;
  const pct = (t: number) => Math.min(100, Math.max(0, ((t - a) / (z - a)) * 100));
  const r = ms(refresh);
  return {
    elapsedPct: pct(now),
    refreshPct: r === null ? null : pct(r),
    pastRefresh: r !== null && now >= r,
    expired: now >= z,
  };
}

/** The expiry time a row counts down to: the state's, else the profile's. */
export function expiryOf(p: ProfileStatus): string | null {
  const s = p.state;
  if ((s.kind === 'fresh' || s.kind === 'refreshing' || s.kind === 'degraded') && s.expires) return s.expires;
  if (s.kind === 'expired' || s.kind === 'needs-user' || s.kind === 'idle') return p.expires_at ?? null;
  return p.expires_at ?? null;
}

/** Is there a valid credential at all (so the countdown means something)? */
export function hasCredentials(p: ProfileStatus): boolean {
  return p.state.kind === 'fresh' || p.state.kind === 'refreshing' || p.state.kind === 'degraded';
}

/** One link of a source chain as text: "role/dev (alicred-me, 1 h, policy)". */
export function chainLinkText(l: ChainLink): string {
  if (!l.role_arn) return `${l.name} (${l.type})`;
  const role = l.role_arn.replace(/^acs:ram::\d+:/, '');
  const extras = [l.session_name, l.duration_seconds ? formatSpan(l.duration_seconds) : null, l.policy ? 'policy' : null].filter(Boolean);
  return `${role}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** The whole chain, source first: "base → role/admin (…) → role/dev (…)". */
export function chainText(chain: ChainLink[]): string {
  if (chain.length <= 1) return '—';
  return chain.map((l, i) => (i === 0 ? l.name : chainLinkText(l))).join(' → ');
}

/** What the page knows of a key's age: the core's status, or why it has none. */
export type KeyAge = Partial<RotationStatus>;
/** A profile as a row shows it: the core's status and, for RAM keys, the key's age. */
export type ShownProfile = ProfileStatus & { rotation?: KeyAge };

/** The core's console flag (capabilities.console), once the core sends it. */
export function opensConsole(p: ProfileStatus): boolean {
  return p.capabilities.console;
}

/** Key age, last rotation, pending step, KMS next rotation; "—" when unknown. */
export function rotationText(p: ShownProfile, now: number): string {
  const r = p.rotation;
  const kms = p.next_rotation ? `KMS next ${formatRelative(p.next_rotation, now)}` : null;
  if (!r) return kms ?? '—';
  const parts: string[] = [];
  if (r.age_days != null) parts.push(`key ${r.age_days} d old${r.due ? ' — rotate now' : ''}`);
  if (r.pending_step) parts.push(`pending: ${r.pending_step}`);
  if (r.last_rotation) parts.push(`rotated ${formatRelative(r.last_rotation, now)}`);
  if (kms) parts.push(kms);
  if (!parts.length && r.error) parts.push('key age unknown');
  return parts.length ? parts.join(' · ') : '—';
}

/** "3 hand-outs · 2 processes" */
export function consumersText(p: ProfileStatus): string {
  const h = p.handouts === 1 ? '1 hand-out' : `${p.handouts} hand-outs`;
  if (!p.consumers.length) return h;
  const names = [...new Set(p.consumers.map((c) => c.exe.split('/').pop() || `pid ${c.pid}`))];
  return `${h} · ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` +${names.length - 3}` : ''}`;
}
