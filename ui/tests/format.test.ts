import { describe, expect, it } from 'vitest';
import {
  chainText,
  consumersText,
  expiresIn,
  formatCountdown,
  formatRelative,
  formatSpan,
  lifetimeBar,
  rotationText,
  stateBadge,
} from '../src/lib/format';
import type { ChainLink, ProfileState, ProfileStatus } from '../src/lib/generated/api';
import { wire } from './mock';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('countdown', () => {
  it('formats hours, minutes and seconds', () => {
    expect(formatCountdown(3_725_000)).toBe('1h 02m 05s');
    expect(formatCountdown(249_000)).toBe('4m 09s');
    expect(formatCountdown(42_999)).toBe('42s');
    expect(formatCountdown(2 * 86400_000 + 3 * 3600_000)).toBe('2d 3h');
  });
  it('says expired at and after zero', () => {
    expect(formatCountdown(0)).toBe('expired');
    expect(formatCountdown(-5)).toBe('expired');
  });
  it('ticks with the clock', () => {
    const exp = iso(T0 + 90_000);
    expect(expiresIn(exp, T0)).toBe('1m 30s');
    expect(expiresIn(exp, T0 + 1000)).toBe('1m 29s');
    expect(expiresIn(exp, T0 + 90_000)).toBe('expired');
    expect(expiresIn(null, T0)).toBe('never');
  });
});

describe('spans and relative times', () => {
  it('rounds to a readable unit', () => {
    expect(formatSpan(5)).toBe('5 s');
    expect(formatSpan(600)).toBe('10 min');
    expect(formatSpan(3600)).toBe('1 h');
    expect(formatSpan(3900)).toBe('1 h 5 min');
    expect(formatSpan(86400 * 3)).toBe('3 days');
  });
  it('past and future', () => {
    expect(formatRelative(iso(T0 - 120_000), T0)).toBe('2 min ago');
    expect(formatRelative(iso(T0 + 30_000), T0)).toBe('in 30 s');
    expect(formatRelative(null, T0)).toBe('—');
    expect(formatRelative(iso(T0), T0)).toBe('just now');
  });
});

describe('state → badge', () => {
  it('maps every state to a tone', () => {
    expect(stateBadge({ kind: 'idle' }, T0).tone).toBe('muted');
    expect(stateBadge({ kind: 'fresh', expires: iso(T0 + 1000) }, T0)).toMatchObject({ label: 'Fresh', tone: 'ok' });
    expect(stateBadge(wire<ProfileState>({ kind: 'refreshing' }), T0).tone).toBe('busy');
    expect(stateBadge({ kind: 'expired', error: 'x' }, T0)).toMatchObject({ label: 'Expired', tone: 'bad' });
    expect(stateBadge({ kind: 'needs-user', why: 'paste a new token' }, T0)).toMatchObject({ tone: 'bad', detail: 'paste a new token' });
    // The core says what only the user can do; the dashboard words it with its own controls.
    expect(stateBadge({ kind: 'needs-user', why: 'the sign-in has expired' }, T0, 'sign-in').detail).toBe(
      'the sign-in has expired. Press Sign in to sign in again in your browser.',
    );
    expect(stateBadge({ kind: 'needs-user', why: 'the token has expired.' }, T0, 'new-secret').detail).toContain('Press Edit and enter a new secret.');
  });
  it('degraded explains what still works and when it retries', () => {
    const b = stateBadge({ kind: 'degraded', error: 'HTTP 503', retry_at: iso(T0 + 30_000), expires: iso(T0 + 600_000) }, T0);
    expect(b.tone).toBe('warn');
    expect(b.detail).toContain('HTTP 503');
    expect(b.detail).toContain('Still serving');
    expect(b.detail).toContain('in 30 s');
  });
  it('shows the core\'s words as they are, without guessing from them', () => {
    const msg = 'error sending request: connection refused';
    expect(stateBadge({ kind: 'expired', error: msg }, T0).detail).toBe(
      `No valid credentials: ${msg}. alicred keeps retrying; fix the cause or press Refresh.`,
    );
    expect(stateBadge({ kind: 'expired', error: '' }, T0).detail).toContain('unknown error');
  });
});

describe('lifetime bar', () => {
  const issued = iso(T0);
  const refresh = iso(T0 + 1800_000);
  const expires = iso(T0 + 3600_000);
  it('places now and the planned refresh', () => {
    const b = lifetimeBar(issued, refresh, expires, T0 + 900_000);
    expect(b).toEqual({ elapsedPct: 25, refreshPct: 50, pastRefresh: false, expired: false });
  });
  it('clamps and flags late and expired', () => {
    expect(lifetimeBar(issued, refresh, expires, T0 + 2700_000)?.pastRefresh).toBe(true);
    const dead = lifetimeBar(issued, refresh, expires, T0 + 7200_000);
    expect(dead?.elapsedPct).toBe(100);
    expect(dead?.expired).toBe(true);
    expect(lifetimeBar(issued, null, expires, T0 - 10)?.elapsedPct).toBe(0);
  });
  it('is absent without both ends', () => {
    expect(lifetimeBar(null, refresh, expires, T0)).toBeNull();
    expect(lifetimeBar(issued, refresh, null, T0)).toBeNull();
    expect(lifetimeBar(expires, refresh, issued, T0)).toBeNull();
  });
});

const base = wire<ProfileStatus>({
  name: 'dev',
  type: 'ram-role-arn',
  active: false,
  state: { kind: 'fresh' },
  capabilities: { rotatable: false, refreshes_itself: true, needs_attention: false, needs_sign_in: false, console: false },
  chain: [],
  handouts: 0,
  consumers: [],
  seq: 1,
});

describe('chain, rotation and consumers', () => {
  it('shows source → role (session, duration, policy)', () => {
    const t = chainText(wire<ChainLink[]>([
      { name: 'base', type: 'access-key', policy: false },
      { name: 'admin', type: 'ram-role-arn', role_arn: 'acs:ram::1234567890123456:role/admin', session_name: 's1', duration_seconds: 3600, policy: false },
      { name: 'dev', type: 'ram-role-arn', role_arn: 'acs:ram::1234567890123456:role/dev', session_name: 's2', duration_seconds: 900, policy: true },
    ]));
    expect(t).toBe('base → role/admin (s1, 1 h) → role/dev (s2, 15 min, policy)');
    expect(chainText(wire<ChainLink[]>([{ name: 'ak', type: 'access-key', policy: false }]))).toBe('—');
  });
  it('rotation shows a dash until there is a status', () => {
    expect(rotationText(base, T0)).toBe('—');
    expect(rotationText({ ...base, rotation: { age_days: 100, due: true, pending_step: 'verifying' } }, T0)).toBe('key 100 d old — rotate now · pending: verifying');
    expect(rotationText({ ...base, rotation: { error: 'RAM unreachable' } }, T0)).toBe('key age unknown');
  });
  it('shows when KMS rotates next, from the status', () => {
    expect(rotationText({ ...base, next_rotation: iso(T0 + 3 * 86400_000) }, T0)).toBe('KMS next in 3 days');
  });
  it('consumers name the processes', () => {
    expect(consumersText(base)).toBe('0 hand-outs');
    expect(
      consumersText({ ...base, handouts: 3, consumers: [{ pid: 1, exe: '/usr/bin/python3', count: 3, last_seen: iso(T0) }] }),
    ).toBe('3 hand-outs · python3');
  });
});
