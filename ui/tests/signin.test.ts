import { describe, expect, it } from 'vitest';
import { doneText, groupSignIns, offersSignIn, promptTarget, sessionView } from '../src/lib/signin';
import type { ProfileStatus, SessionGroup } from '../src/lib/generated/api';
import { groupsSignedIn, groupsSignedOut, ssoSignedIn } from './fixtures/profiles';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('groupSignIns: the core’s groups with the profiles put in', () => {
  it('places each access configuration’s status; every other profile stays in the table', () => {
    const g = groupSignIns(ssoSignedIn(), groupsSignedIn());
    expect(g.sessions.map((s) => s.session)).toEqual(['demo']);
    const tree = g.sessions[0].accounts.map((a) => [a.name, ...a.configs.map((c) => `${c.name}=${c.profile.name}`)]);
    expect(tree).toEqual([
      ['Production', 'Administrator=demo-Production-Administrator', 'ReadOnly=demo-Production-ReadOnly'],
      ['Sandbox', 'Developer=demo-Sandbox-Developer'],
    ]);
    expect(g.others.map((p) => p.name)).toEqual(['demo-oauth', 'base']);
  });
  it('a profile the groups do not list (yet) stays in the table; a name without a status is left out', () => {
    const profiles: ProfileStatus[] = ssoSignedIn().filter((p) => p.name !== 'demo-Production-ReadOnly');
    const g = groupSignIns(profiles, []);
    expect(g.sessions).toEqual([]);
    expect(g.others).toHaveLength(profiles.length);
    const h = groupSignIns(profiles, groupsSignedIn());
    expect(h.sessions[0].accounts[0].configs.map((c) => c.name)).toEqual(['Administrator']);
  });
});

describe('sessionView: the core’s state, counted down', () => {
  const group = (g: Partial<SessionGroup>): SessionGroup => ({ ...groupsSignedIn()[0], expires_at: iso(NOW + 2 * 3_600_000 + 5_000), ...g });
  const table: Array<[string, Partial<SessionGroup>, number, string, string]> = [
    ['signed in, time left ticks with the clock', {}, NOW, 'Signed in · 2h 00m 05s left', 'ok'],
    ['one second later', {}, NOW + 1000, 'Signed in · 2h 00m 04s left', 'ok'],
    ['under 15 minutes is a warning', { expires_at: iso(NOW + 14 * 60_000) }, NOW, 'Signed in · 14m 00s left', 'warn'],
    ['past the end', {}, NOW + 3 * 3_600_000, 'Sign in needed', 'bad'],
    ['the core says signed out', { signed_in: false }, NOW, 'Sign in needed', 'bad'],
    ['signed in with no known end', { expires_at: null }, NOW, 'Signed in', 'ok'],
  ];
  for (const [what, g, now, text, tone] of table) {
    it(what, () => {
      const v = sessionView(group(g), now);
      expect(v.text).toBe(text);
      expect(v.tone).toBe(tone);
      expect(v.needsSignIn).toBe(tone === 'bad');
    });
  }
  it('the core-made groups read as they should', () => {
    expect(sessionView(groupsSignedIn()[0], NOW).text).toBe('Signed in · 8h 00m 00s left');
    expect(sessionView(groupsSignedOut()[0], NOW).text).toBe('Sign in needed');
  });
});

describe('sign-in words', () => {
  it('offers sign-in where the core says a profile needs one', () => {
    const byName = (n: string) => ssoSignedIn().find((p) => p.name === n)!;
    expect(offersSignIn(byName('base'))).toBe(false);
    expect(offersSignIn(byName('demo-oauth'))).toBe(true);
    expect(offersSignIn(byName('demo-Production-ReadOnly'))).toBe(false);
  });
  it('names the target and the end', () => {
    expect(promptTarget({ profile: null, session: 'corp' })).toBe('CloudSSO session corp');
    expect(promptTarget({ profile: 'me', session: null })).toBe('me');
    const t = doneText('CloudSSO session demo', { expires_at: iso(NOW + 8 * 3_600_000), profiles: ['a', 'b', 'c'] }, NOW);
    expect(t).toMatch(/^Signed in to CloudSSO session demo until \d\d:\d\d:\d\d \(8 h from now\)\. 3 profiles are ready\.$/);
    expect(doneText('x', { expires_at: iso(NOW + 3_599_000), profiles: [] }, NOW)).toContain('(1 h from now)');
    expect(doneText('me', { expires_at: null, profiles: ['me'] }, NOW)).toBe('Signed in to me.');
  });
});
