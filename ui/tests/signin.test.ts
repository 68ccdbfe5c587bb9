import { describe, expect, it } from 'vitest';
import { doneText, groupSignIns, offersSignIn, promptTarget, sessionView, type SessionGroup } from '../src/lib/signin';
import type { Capabilities, ProfileStatus, SignInView, SsoSessionInfo } from '../src/lib/types';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const caps = (needs_sign_in = false): Capabilities => ({
  rotatable: false,
  rotation: null,
  refreshes_itself: true,
  needs_attention: needs_sign_in,
  needs_sign_in,
});

function prof(name: string, type: string, sign_in?: Partial<SignInView>, extra: Partial<ProfileStatus> = {}): ProfileStatus {
  return {
    name,
    type,
    active: false,
    state: { kind: 'fresh' },
    capabilities: caps(),
    chain: [],
    handouts: 0,
    consumers: [],
    sign_in: sign_in
      ? {
          kind: type === 'oauth' ? 'oauth' : 'cloud-sso',
          session: null,
          expires_at: null,
          signed_in: true,
          ...sign_in,
        }
      : undefined,
    ...extra,
  };
}

const sso = (name: string, session: string, account: [string, string], config: [string, string], more: Partial<SignInView> = {}, extra: Partial<ProfileStatus> = {}) =>
  prof(name, 'cloud-sso', {
    session,
    account_id: account[0],
    account_name: account[1],
    access_config_id: config[0],
    access_config_name: config[1],
    expires_at: iso(NOW + 3_600_000),
    ...more,
  }, extra);

describe('groupSignIns', () => {
  const table: Array<{ what: string; profiles: ProfileStatus[]; sessions: string[]; tree: Record<string, string[][]>; others: string[] }> = [
    { what: 'nothing', profiles: [], sessions: [], tree: {}, others: [] },
    {
      what: 'non-SSO profiles stay in the table, oauth included',
      profiles: [prof('base', 'access-key'), prof('me', 'oauth', { signed_in: true })],
      sessions: [],
      tree: {},
      others: ['base', 'me'],
    },
    {
      what: 'one session, two accounts, sorted by name; configs sorted by name',
      profiles: [
        sso('demo-Sandbox-Developer', 'demo', ['2345', 'Sandbox'], ['ac-dev', 'Developer']),
        sso('demo-Production-ReadOnly', 'demo', ['1234', 'Production'], ['ac-ro', 'ReadOnly']),
        prof('base', 'access-key'),
        sso('demo-Production-Administrator', 'demo', ['1234', 'Production'], ['ac-admin', 'Administrator']),
      ],
      sessions: ['demo'],
      tree: {
        demo: [
          ['Production', 'Administrator', 'ReadOnly'],
          ['Sandbox', 'Developer'],
        ],
      },
      others: ['base'],
    },
    {
      what: 'two sessions stay apart even with the same account',
      profiles: [
        sso('b-x', 'zeta', ['1', 'Acct'], ['ac-1', 'Admin']),
        sso('a-x', 'alpha', ['1', 'Acct'], ['ac-1', 'Admin']),
      ],
      sessions: ['alpha', 'zeta'],
      tree: { alpha: [['Acct', 'Admin']], zeta: [['Acct', 'Admin']] },
      others: [],
    },
    {
      what: 'missing display names fall back to the ids',
      profiles: [sso('s-1', 's', ['99', ''], ['ac-9', ''])],
      sessions: ['s'],
      tree: { s: [['99', 'ac-9']] },
      others: [],
    },
    {
      what: 'a cloud-sso profile without the core’s sign-in view stays in the table',
      profiles: [prof('old', 'cloud-sso')],
      sessions: [],
      tree: {},
      others: ['old'],
    },
  ];
  for (const t of table) {
    it(t.what, () => {
      const g = groupSignIns(t.profiles, []);
      expect(g.sessions.map((s) => s.session)).toEqual(t.sessions);
      const tree = Object.fromEntries(g.sessions.map((s) => [s.session, s.accounts.map((a) => [a.name, ...a.configs.map((c) => c.name)])]));
      expect(tree).toEqual(t.tree);
      expect(g.others.map((p) => p.name)).toEqual(t.others);
    });
  }

  it('a session is what the core says of it, whatever its profiles say: one refused access configuration does not sign it out', () => {
    const core: SsoSessionInfo = { name: 's', sign_in_url: null, signed_in: true, expires_at: iso(NOW + 5000), profiles: ['a', 'b', 'c'] };
    const profiles = [
      sso('a', 's', ['1', 'A'], ['ac-1', 'X'], { expires_at: iso(NOW + 1000) }),
      // Refused: the core flags this profile, not its session.
      sso('b', 's', ['1', 'A'], ['ac-2', 'Y'], { signed_in: false }, { active: true, capabilities: caps(true) }),
      sso('c', 's', ['1', 'A'], ['ac-3', 'Z'], { expires_at: null }),
    ];
    const g = groupSignIns(profiles, [core, { ...core, name: 'other' }]).sessions[0];
    expect(g.info).toEqual(core);
    expect(g.active).toBe(true);
    expect(sessionView(g, NOW)).toEqual({ text: 'Signed in · 5s left', tone: 'warn', needsSignIn: false });
    expect(g.accounts[0].configs.map((c) => c.profile.name)).toEqual(['a', 'b', 'c']);
    // A session the core has not listed (yet) is not shown as signed in.
    expect(sessionView(groupSignIns(profiles, []).sessions[0], NOW).text).toBe('Sign in needed');
  });
});

describe('sessionView', () => {
  const group = (info: Partial<SsoSessionInfo> | null): SessionGroup => ({
    session: 's',
    info: info && { name: 's', sign_in_url: null, signed_in: true, expires_at: iso(NOW + 2 * 3_600_000 + 5_000), profiles: [], ...info },
    active: false,
    accounts: [],
  });
  const table: Array<[string, Partial<SsoSessionInfo> | null, number, string, string]> = [
    ['signed in, time left ticks with the clock', {}, NOW, 'Signed in · 2h 00m 05s left', 'ok'],
    ['one second later', {}, NOW + 1000, 'Signed in · 2h 00m 04s left', 'ok'],
    ['under 15 minutes is a warning', { expires_at: iso(NOW + 14 * 60_000) }, NOW, 'Signed in · 14m 00s left', 'warn'],
    ['past the end', {}, NOW + 3 * 3_600_000, 'Sign in needed', 'bad'],
    ['not signed in', { signed_in: false }, NOW, 'Sign in needed', 'bad'],
    ['not known to the core', null, NOW, 'Sign in needed', 'bad'],
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
});

describe('sign-in words', () => {
  it('offers sign-in where the core says a profile needs one', () => {
    expect(offersSignIn(prof('base', 'access-key'))).toBe(false);
    expect(offersSignIn(prof('me', 'oauth', { signed_in: true }))).toBe(false);
    expect(offersSignIn(prof('me', 'oauth', { signed_in: false }, { capabilities: caps(true) }))).toBe(true);
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
