import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Dashboard, rotateConfirm, type Api } from '../src/lib/dashboard.svelte';
import type { Capabilities, ProfileStatus } from '../src/lib/types';

const caps = (c: Partial<Capabilities> = {}): Capabilities => ({
  rotatable: false,
  rotation: null,
  refreshes_itself: true,
  needs_attention: false,
  needs_sign_in: false,
  ...c,
});

const status = (name: string, type: string, capabilities: Capabilities): ProfileStatus => ({
  name,
  type,
  active: false,
  // The state says "expired", but only the core's flag decides attention.
  state: { kind: 'expired', error: 'x' },
  capabilities,
  chain: [],
  handouts: 0,
  consumers: [],
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
    expect(rotateConfirm('v', { method: 'kms' }).title).toBe('Rotate the KMS secret of v?');
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
    d.confirmRotate = rotateConfirm('v', { method: 'kms' });
    const p = d.rotate('v');
    expect(d.busy.v).toBe('rotate');
    await p;
    expect(d.confirmRotate).toBeNull();
    expect(d.busy.v).toBeUndefined();
    expect(d.toast?.text).toContain('new version v2');
    expect(calls.find(([k]) => k === 'rotate')?.[1]).toEqual(['v', false]);
  });

  it('starts the safety-net timers and stops them all', async () => {
    const { api, calls } = fakeApi({ listProfiles: () => [] });
    const d = new Dashboard(api, async () => () => {}, () => {});
    await d.start();
    const before = calls.filter(([k]) => k === 'listProfiles').length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls.filter(([k]) => k === 'listProfiles').length).toBe(before + 1);
    d.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.filter(([k]) => k === 'listProfiles').length).toBe(before + 1);
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
