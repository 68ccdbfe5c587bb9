import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Dashboard, rotateConfirm, type Api } from '../src/lib/dashboard.svelte';
import type { Update } from '../src/lib/api';
import type { Capabilities, EndpointInfo, ProfileStatus, ProfileType, RotatePlan } from '../src/lib/generated/api';
import { wire } from './mock';

const caps = (c: Partial<Capabilities> = {}): Capabilities => ({
  rotatable: false,
  rotation: null,
  remedy: null,
  console: false,
  refreshes_itself: true,
  needs_attention: false,
  needs_sign_in: false,
  ...c,
});

const status = (name: string, type: ProfileType, capabilities: Capabilities): ProfileStatus => wire<ProfileStatus>({
  name,
  type,
  active: false,
  // The state says "expired", but only the core's flag decides attention.
  state: { kind: 'expired', error: 'x' },
  capabilities,
  chain: [],
  handouts: 0,
  consumers: [],
  seq: 1,
});

/** A fake backend: records calls, answers from `answers`. */
function fakeApi(answers: Partial<Record<keyof Api, (...a: unknown[]) => unknown>>) {
  const calls: Array<[string, unknown[]]> = [];
  const api = new Proxy({} as Api, {
    get: (_t, key: string) => async (...args: unknown[]) => {
      calls.push([key, args]);
      const f = answers[key as keyof Api];
      if (!f) return key === 'getEvents' || key === 'typeGuides' ? [] : null;
      return f(...args);
    },
  });
  return { api, calls };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('dashboard controller', () => {
  it('keeps the status read last when a list and a push cross', async () => {
    // The list was read (seq 5) before the push (seq 7) but answers after it.
    const at = (seq: number, kind: 'refreshing' | 'fresh', name = 'ecs'): ProfileStatus => ({
      ...status(name, 'ecs-ram-role', caps()),
      state: kind === 'fresh' ? { kind: 'fresh', expires: null } : { kind: 'refreshing', expires: null },
      seq,
    });
    let answer: (l: ProfileStatus[]) => void = () => {};
    const { api } = fakeApi({ listProfiles: () => new Promise((r) => (answer = r)) });
    const d = new Dashboard(api, async () => () => {}, () => {});
    const loading = d.loadProfiles();
    d.apply({ type: 'profile', status: at(7, 'fresh') } as Update);
    d.apply({ type: 'profile', status: at(8, 'fresh', 'new') } as Update);
    answer([at(5, 'refreshing')]);
    await loading;
    expect(d.profiles.map((p) => [p.name, p.state.kind])).toEqual([['ecs', 'fresh'], ['new', 'fresh']]);
    // An older push is no news either; a newer one is.
    d.apply({ type: 'profile', status: at(6, 'refreshing') } as Update);
    expect(d.profiles[0].state.kind).toBe('fresh');
    d.apply({ type: 'profile', status: at(9, 'refreshing') } as Update);
    expect(d.profiles[0].state.kind).toBe('refreshing');
    // A newer list is the list: a profile it leaves out is gone.
    d.apply({ type: 'profiles', profiles: [at(10, 'fresh')], reload_problem: null } as Update);
    expect(d.profiles.map((p) => p.name)).toEqual(['ecs']);
  });

  it('counts attention from the core\'s flag, not from the state', async () => {
    const { api } = fakeApi({
      listProfiles: () => [
        status('a', 'access-key', caps({ needs_attention: true })),
        status('b', 'sts-token', caps()),
      ],
    });
    const d = new Dashboard(api, async () => () => {}, () => {});
    await d.loadProfiles();
    expect(d.attention).toBe(1);
  });

  it('asks for key ages only of profiles the core says rotate through RAM', async () => {
    const { api, calls } = fakeApi({
      listProfiles: () => [
        status('ak', 'access-key', caps({ rotatable: true, rotation: 'ram' })),
        status('kms', 'kms-secret', caps({ rotatable: true, rotation: 'kms' })),
        status('role', 'ram-role-arn', caps()),
      ],
      rotationStatus: (n) => ({ profile: n, age_days: 3 }),
    });
    const d = new Dashboard(api, async () => () => {}, () => {});
    await d.loadProfiles();
    await vi.waitFor(() => expect(d.rotations.ak?.age_days).toBe(3));
    const asked = calls.filter(([k]) => k === 'rotationStatus').map(([, a]) => a[0]);
    expect(asked).toEqual(['ak']);
    expect(d.shown.find((p) => p.name === 'ak')?.rotation?.age_days).toBe(3);
  });

  it('words the rotation question from the core\'s plan', async () => {
    expect(rotateConfirm('ak', { method: 'ram', grace_seconds: 7200 }).message).toContain('deleted after 2 h');
    expect(rotateConfirm('v', wire<RotatePlan>({ method: 'kms' })).title).toBe('Rotate the KMS secret of v?');
    const { api } = fakeApi({
      rotatePlan: () => {
        throw { message: 'profile dev is a ram-role-arn profile; only access-key profiles (RAM) and kms-secret profiles (KMS) can be rotated' };
      },
    });
    const d = new Dashboard(api, async () => () => {}, () => {});
    await d.askRotate('dev');
    expect(d.confirmRotate).toBeNull();
    expect(d.toast).toEqual({ text: expect.stringContaining('ram-role-arn'), tone: 'bad' });
  });

  it('rotates, reports the core\'s line, and clears the busy mark', async () => {
    const { api, calls } = fakeApi({
      rotate: () => ({ message: 'KMS secret s rotated: new version v2', rotated: { method: 'kms' } }),
    });
    const d = new Dashboard(api, async () => () => {}, () => {});
    d.confirmRotate = rotateConfirm('v', wire<RotatePlan>({ method: 'kms' }));
    const p = d.rotate('v');
    expect(d.busy.v).toBe('rotate');
    await p;
    expect(d.confirmRotate).toBeNull();
    expect(d.busy.v).toBeUndefined();
    expect(d.toast?.text).toContain('new version v2');
    expect(calls.find(([k]) => k === 'rotate')?.[1]).toEqual(['v', false]);
  });

  it('reads once at start, then polls nothing: pushed changes are applied as they come', async () => {
    const { api, calls } = fakeApi({ listProfiles: () => [status('a', 'access-key', caps())] });
    let push: (u: Update) => void = () => {};
    let unfollowed = false;
    const d = new Dashboard(api, async (cb) => ((push = cb), () => (unfollowed = true)), () => {});
    await d.start();
    const read = calls.length;
    expect(calls.filter(([k]) => k === 'listProfiles')).toHaveLength(1);
    // An hour of nothing happening asks the backend nothing.
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(read);
    // What an event carries is applied, not re-read.
    push({ type: 'profile', status: { ...status('a', 'access-key', caps({ needs_attention: true })), active: true } });
    expect(d.profiles[0].active).toBe(true);
    expect(d.attention).toBe(1);
    push({ type: 'profile', status: status('b', 'sts-token', caps()) });
    expect(d.profiles.map((p) => p.name)).toEqual(['a', 'b']);
    push({ type: 'log', event: { id: 7, at: '2026-01-01T12:00:00Z', profile: 'a', kind: 'refreshed', message: 'refreshed' } });
    push({ type: 'log', event: { id: 7, at: '2026-01-01T12:00:00Z', profile: 'a', kind: 'refreshed', message: 'refreshed' } });
    expect(d.events.map((e) => e.id)).toEqual([7]);
    push({ type: 'reload-problem', problem: 'profiles file not reloaded: bad' });
    expect(d.reloadProblem).toContain('bad');
    push({ type: 'endpoint', info: wire<EndpointInfo>({ url: 'http://127.0.0.1:1/t', export_line: null, listen: null, running: true }) });
    expect(d.endpoint?.url).toBe('http://127.0.0.1:1/t');
    // A list without a profile forgets what the page held of it.
    d.expanded.b = true;
    push({ type: 'profiles', profiles: [status('b', 'sts-token', caps())] });
    expect(d.profiles.map((p) => p.name)).toEqual(['b']);
    expect(calls).toHaveLength(read);
    // Events were lost: then, and only then, everything is read again.
    push({ type: 'resync' });
    await vi.waitFor(() => expect(calls.filter(([k]) => k === 'listProfiles')).toHaveLength(2));
    d.stop();
    expect(unfollowed).toBe(true);
    // …and nothing is applied after stop.
    push({ type: 'reload-problem', problem: 'late' });
    expect(d.reloadProblem).toBeNull();
  });

  it('a sign-in another one is in the way of shows the core\'s answer and keeps the waiting panel', async () => {
    const { api } = fakeApi({
      signIn: () => {
        throw { message: 'a sign-in to CloudSSO session corp is already waiting for you in the browser' };
      },
    });
    const d = new Dashboard(api, async () => () => {}, () => {});
    d.prompted({ profile: null, session: 'corp', user_code: 'ABCD', url: 'http://127.0.0.1:9/x', expires_in: 600 });
    await d.startSignIn({ profile: 'me' });
    expect(d.signIn?.target).toBe('CloudSSO session corp');
    expect(d.toast).toEqual({ text: expect.stringContaining('already waiting'), tone: 'bad' });
  });

  it('a failed settings save puts the old settings back', async () => {
    const themes: string[] = [];
    const { api } = fakeApi({
      setSettings: () => {
        throw { message: 'disk full' };
      },
    });
    const d = new Dashboard(api, async () => () => {}, (t) => themes.push(t));
    await d.saveSettings({ autostart: false, theme: 'dark' });
    expect(d.settings.theme).toBe('system');
    expect(themes).toEqual(['dark', 'system']);
    expect(d.toast?.tone).toBe('bad');
  });
});
