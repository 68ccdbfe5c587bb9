import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { emitCore, mockCore } from './mock';
import App from '../src/App.svelte';
import ProfileForm from '../src/components/ProfileForm.svelte';
import type { TypeGuide } from '../src/lib/generated/api';
import { forms, guides as coreGuides, table, withKms } from './fixtures/profiles';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const guides: TypeGuide[] = [
  { type: 'access-key', title: 'AccessKey', use_when: 'safe and stable places', needs_key_up_front: 'yes', underlying: 'AccessKey', refresh: 'manual', secret_fields: ['access_key_id', 'access_key_secret'] },
  { type: 'ram-role-arn', title: 'RAM role ARN', use_when: 'access through a role', needs_key_up_front: 'yes', underlying: 'STS', refresh: 'automatic', secret_fields: [] },
];

// The profiles as the core makes them (ui_fixtures.rs): base (access-key,
// active), dev (a role on base, 2m 05s left), broken (expired); vault
// (kms-secret) in `withKms`.
const profiles = table;

type Calls = Array<{ cmd: string; args: Record<string, unknown> }>;

function backend(calls: Calls, overrides: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  mockCore((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    if (overrides[cmd]) return overrides[cmd]((args ?? {}) as Record<string, unknown>);
    switch (cmd) {
      case 'list_profiles':
        return profiles();
      case 'get_events':
        // Like the backend: only events after the last one the page has.
        return ((args as { after?: number | null })?.after ?? 0) >= 1
          ? []
          : [{ id: 1, at: iso(NOW), profile: 'dev', kind: 'refreshed', message: 'refreshed; valid for 1 h' }];
      case 'endpoint_info':
        return {
          url: 'http://127.0.0.1:47911/tok/v1/credentials',
          export_line: 'export ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:47911/tok/v1/credentials',
          listen: '127.0.0.1:47911',
          running: true,
        };
      case 'type_guides':
        return guides;
      case 'form_fields':
        return forms();
      case 'sign_in_groups':
        return [];
      case 'get_settings':
        return { autostart: false, theme: 'system' };
      case 'check_profile':
        return [];
      case 'get_timeline':
        return [{ start: iso(NOW - 600_000), refreshes: 1, failures: 1, handouts: 4 }];
      case 'plugin:event|listen':
        return 1;
      case 'rotation_status':
        return { profile: 'base', age_days: 12, max_age_days: 90, due: false };
      case 'rotate_plan':
        return { method: 'ram', grace_seconds: 86400 };
      case 'rotate':
        return {
          message: 'rotated base: new key LTAInew',
          rotated: { method: 'ram', profile: 'base', step: 'awaiting-delete', old_key_id: 'LTAIold', new_key_id: 'LTAInew', message: 'rotated base: new key LTAInew' },
        };
      default:
        return null;
    }
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers();
});

describe('dashboard', () => {
  it('shows profiles with state badges, a ticking countdown and the chain', async () => {
    const calls: Calls = [];
    backend(calls);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('profile-row-dev')).toBeInTheDocument());
    expect(screen.getByTestId('state-dev')).toHaveTextContent('Fresh');
    expect(screen.getByTestId('state-broken')).toHaveTextContent('Expired');
    expect(screen.getByTestId('attention')).toHaveTextContent('1 needs attention');
    expect(screen.getByTestId('countdown-dev')).toHaveTextContent('2m 05s');
    expect(screen.getByTestId('countdown-base')).toHaveTextContent('never');
    expect(screen.getByTestId('countdown-broken')).toHaveTextContent('—');
    expect(screen.getByTestId('chain-dev')).toHaveTextContent('base → role/dev (s, 1 h)');
    expect(screen.getByTestId('rotation-dev')).toHaveTextContent('—');
    expect(screen.getByTestId('active-marker-base')).toBeInTheDocument();
    expect(screen.getByTestId('rotate-dev')).toBeDisabled();
    await vi.advanceTimersByTimeAsync(3000);
    expect(screen.getByTestId('countdown-dev')).toHaveTextContent('2m 02s');
    expect(screen.getByTestId('endpoint-url')).toHaveTextContent('/tok/v1/credentials');
    expect(screen.getByTestId('export-line')).toHaveTextContent('export ALIBABA_CLOUD_CREDENTIALS_URI=');
    expect(screen.getAllByTestId('event')[0]).toHaveTextContent('refreshed; valid for 1 h');
  });

  it('switches the active profile, verifies and expands a timeline', async () => {
    const calls: Calls = [];
    backend(calls, { verify: () => ({ account_id: '1', arn: 'acs:ram::1:assumed-role/dev/s' }) });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('active-dev')).toBeInTheDocument());
    await fireEvent.click(screen.getByTestId('active-dev'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'set_active' && c.args.name === 'dev')).toBe(true));
    await fireEvent.click(screen.getByTestId('verify-dev'));
    await vi.waitFor(() => expect(screen.getByTestId('verify-result-dev')).toHaveTextContent('assumed-role/dev/s'));
    await vi.waitFor(() => expect(screen.getByTestId('timeline-dev')).toHaveTextContent('1 refresh ·'));
    // Nothing is asked while nothing happens.
    const before = calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.slice(before).map((c) => c.cmd)).toEqual([]);
    // An event of the open profile asks only for the last bucket and newer ones, and replaces that bucket.
    await emitCore({ type: 'log', event: { id: 2, at: iso(NOW), profile: 'dev', kind: 'refreshed', message: 'refreshed again' } });
    await vi.waitFor(() => expect(calls.filter((c) => c.cmd === 'get_timeline' && c.args.name === 'dev').length).toBeGreaterThan(1));
    const asked = calls.filter((c) => c.cmd === 'get_timeline' && c.args.name === 'dev');
    expect(asked[0].args.since).toBeNull();
    expect(asked[asked.length - 1].args.since).toBe(iso(NOW - 600_000));
    expect(screen.getByTestId('timeline-dev')).toHaveTextContent('1 refresh ·');
    // The event log asks for no more events than it shows.
    expect(calls.filter((c) => c.cmd === 'get_events').every((c) => c.args.limit === 200)).toBe(true);
  });

  it('rotates access-key profiles after asking, shows key age', async () => {
    const calls: Calls = [];
    backend(calls);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('rotation-base')).toHaveTextContent('key 12 d old'));
    expect(screen.getByTestId('rotation-dev')).toHaveTextContent('—');
    expect(screen.getByTestId('rotate-base')).toBeEnabled();
    await fireEvent.click(screen.getByTestId('rotate-base'));
    await vi.waitFor(() => expect(screen.getByTestId('confirm-dialog')).toHaveTextContent('Rotate the AccessKey of base?'));
    // The grace period is the core's number, not text typed here.
    expect(screen.getByTestId('confirm-dialog')).toHaveTextContent('deleted after 1 day');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'rotate' && c.args.name === 'base' && c.args.delete_inactive === false)).toBe(true));
    await vi.waitFor(() => expect(screen.getByTestId('toast')).toHaveTextContent('new key LTAInew'));
  });

  it('rotates a kms-secret profile and shows the assumed role and the next KMS rotation', async () => {
    const calls: Calls = [];
    backend(calls, {
      list_profiles: withKms,
      rotate_plan: () => ({ method: 'kms' }),
      rotate: () => ({ message: 'KMS secret s rotated: new version v2 (current)', rotated: { method: 'kms' } }),
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('rotate-vault')).toBeEnabled());
    expect(screen.getByTestId('rotation-vault')).toHaveTextContent('KMS next in 5 days');
    expect(calls.some((c) => c.cmd === 'rotation_status' && c.args.name === 'vault')).toBe(false);
    await fireEvent.click(screen.getByTestId('rotate-vault'));
    await vi.waitFor(() => expect(screen.getByTestId('confirm-dialog')).toHaveTextContent('Rotate the KMS secret of vault?'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'rotate' && c.args.name === 'vault')).toBe(true));
    await vi.waitFor(() => expect(screen.getByTestId('toast')).toHaveTextContent('new version v2'));
    await fireEvent.click(screen.getByTestId('toggle-dev'));
    await vi.waitFor(() => expect(screen.getByTestId('role-arn-dev')).toHaveTextContent('acs:ram::1:assumed-role/dev/s'));
    await fireEvent.click(screen.getByTestId('toggle-vault'));
    await vi.waitFor(() => expect(screen.getByTestId('next-rotation-vault')).toBeInTheDocument());
  });

  it('offers "Console" exactly where the core says a profile can open it, and says how it went', async () => {
    const calls: Calls = [];
    // The core's flag decides, whatever the type: here it is set on dev only.
    const withConsole = () => table().map((p) => ({ ...p, capabilities: { ...p.capabilities, console: p.name === 'dev' } }));
    backend(calls, {
      list_profiles: withConsole,
      open_console: () => {
        throw { message: 'the federation server answered garbage' };
      },
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('console-dev')).toBeEnabled());
    expect(screen.queryByTestId('console-base')).toBeNull();
    expect(screen.queryByTestId('console-broken')).toBeNull();
    await fireEvent.click(screen.getByTestId('console-dev'));
    await vi.waitFor(() => expect(screen.getByTestId('toast')).toHaveTextContent('answered garbage'));
    expect(calls.filter((c) => c.cmd === 'open_console').map((c) => c.args.name)).toEqual(['dev']);
  });

  it('asks before removing', async () => {
    const calls: Calls = [];
    backend(calls);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('remove-dev')).toBeInTheDocument());
    await fireEvent.click(screen.getByTestId('remove-dev'));
    expect(screen.getByTestId('confirm-dialog')).toHaveTextContent('Remove dev?');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(calls.some((c) => c.cmd === 'remove_profile')).toBe(false);
    await fireEvent.click(screen.getByTestId('remove-dev'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'remove_profile' && c.args.name === 'dev')).toBe(true));
  });

  it('shows backend errors in words', async () => {
    const calls: Calls = [];
    backend(calls, {
      list_profiles: () => {
        throw { message: 'the keyring is locked: unlock it (log in to the desktop, or run `gnome-keyring-daemon --unlock`)' };
      },
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('load-error')).toHaveTextContent('keyring is locked'));
  });
});

describe('profile form', () => {
  function renderForm(calls: Calls, overrides = {}) {
    backend(calls, overrides);
    const onsaved = vi.fn();
    render(ProfileForm, {
      props: { mode: 'add', initial: { name: '', type: 'access-key' }, guides, forms: forms(), profileNames: ['base'], onclose: vi.fn(), onsaved },
    });
    return onsaved;
  }

  it('validates as you type (debounced) and shows problems under the field', async () => {
    const calls: Calls = [];
    renderForm(calls, {
      check_profile: (a: Record<string, unknown>) => {
        const input = a.input as { name: string };
        return input.name.includes(' ')
          ? [{ field: 'name', severity: 'error', message: 'may contain only letters, digits, ".", "_" and "-"' }]
          : [];
      },
    });
    expect(screen.getByTestId('type-guide')).toHaveTextContent('safe and stable places');
    const name = screen.getByTestId('field-name');
    await fireEvent.input(name, { target: { value: 'my' } });
    await fireEvent.input(name, { target: { value: 'my key' } });
    await vi.advanceTimersByTimeAsync(300);
    const checks = calls.filter((c) => c.cmd === 'check_profile');
    expect(checks.at(-1)?.args.input).toMatchObject({ name: 'my key', type: 'access-key' });
    // Debounced: the two keystrokes made one call (plus the initial one).
    expect(checks.length).toBeLessThanOrEqual(2);
    await vi.waitFor(() => expect(screen.getByTestId('problem-name')).toHaveTextContent('only letters'));
    expect(name).toHaveAttribute('aria-invalid', 'true');
  });

  it('changes the guide and fields with the type', async () => {
    const calls: Calls = [];
    renderForm(calls);
    await fireEvent.change(screen.getByTestId('field-type'), { target: { value: 'ram-role-arn' } });
    expect(screen.getByTestId('type-guide')).toHaveTextContent('access through a role');
    expect(screen.getByTestId('field-role_arn')).toBeInTheDocument();
    expect(screen.queryByTestId('secret-access_key_id')).toBeNull();
  });

  it('sends the secret once and forgets it', async () => {
    const calls: Calls = [];
    const onsaved = renderForm(calls, { add_profile: () => [] });
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'base2' } });
    const id = screen.getByTestId('secret-access_key_id') as HTMLInputElement;
    const secret = screen.getByTestId('secret-access_key_secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(id.type).toBe('password');
    await fireEvent.input(id, { target: { value: 'LTAI5tExample' } });
    await fireEvent.input(secret, { target: { value: 'TopSecretValue' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
    const add = calls.find((c) => c.cmd === 'add_profile');
    expect(add?.args).toMatchObject({
      input: { name: 'base2', type: 'access-key' },
      secret: { access_key_id: 'LTAI5tExample', access_key_secret: 'TopSecretValue' },
      replace: false,
    });
    expect(secret.value).toBe('');
    expect(id.value).toBe('');
    // No later call carries the secret again.
    const later = calls.slice(calls.indexOf(add!) + 1);
    expect(JSON.stringify(later)).not.toContain('TopSecretValue');
  });

  it('refuses to submit without the secret and says why', async () => {
    const calls: Calls = [];
    renderForm(calls);
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'k' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await waitFor(() => expect(screen.getByTestId('form-error')).toHaveTextContent('Fix the fields'));
    expect(screen.getAllByTestId('problem-access_key_secret')[0]).toHaveTextContent('is required');
    expect(calls.some((c) => c.cmd === 'add_profile')).toBe(false);
  });

  it('clears the secret even when the backend refuses', async () => {
    const calls: Calls = [];
    renderForm(calls, {
      add_profile: () => {
        throw { message: 'invalid profile: role-arn: is required', problems: [{ field: 'name', severity: 'error', message: 'taken' }] };
      },
    });
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'k' } });
    await fireEvent.input(screen.getByTestId('secret-access_key_id'), { target: { value: 'AK' } });
    await fireEvent.input(screen.getByTestId('secret-access_key_secret'), { target: { value: 'SK' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(screen.getByTestId('form-error')).toHaveTextContent('enter the secret again'));
    expect((screen.getByTestId('secret-access_key_secret') as HTMLInputElement).value).toBe('');
  });
});

describe('settings', () => {
  it('cycles the theme at once, even with slow saves', async () => {
    const calls: Calls = [];
    let release: (() => void) | undefined;
    backend(calls, {
      set_settings: (a: Record<string, unknown>) =>
        new Promise((r) => {
          release = () => r(a.settings);
        }),
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('profile-row-dev')).toBeInTheDocument());
    expect(screen.getByTestId('theme-toggle')).toHaveTextContent('System');
    await fireEvent.click(screen.getByTestId('theme-toggle'));
    await fireEvent.click(screen.getByTestId('theme-toggle'));
    expect(screen.getByTestId('theme-toggle')).toHaveTextContent('Dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    release?.();
    await vi.advanceTimersByTimeAsync(10);
    expect(screen.getByTestId('theme-toggle')).toHaveTextContent('Dark');
    expect(calls.filter((c) => c.cmd === 'set_settings').map((c) => (c.args.settings as { theme: string }).theme)).toEqual(['light', 'dark']);
  });
});

describe('form checks out of order', () => {
  it('ignores a slow answer to an older check and re-checks on submit', async () => {
    const calls: Calls = [];
    backend(calls, {
      check_profile: (a: Record<string, unknown>) => {
        const name = (a.input as { name: string }).name;
        // The check of the empty form answers last, and says the name is bad.
        if (!name) return new Promise((r) => setTimeout(() => r([{ field: 'name', severity: 'error', message: 'is invalid' }]), 2000));
        return [];
      },
      add_profile: () => [],
    });
    const onsaved = vi.fn();
    render(ProfileForm, {
      props: { mode: 'add', initial: { name: '', type: 'credentials-uri' }, guides, forms: forms(), profileNames: [], onclose: vi.fn(), onsaved },
    });
    await vi.advanceTimersByTimeAsync(300); // the empty-form check is now in flight
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'web' } });
    await fireEvent.input(screen.getByTestId('field-uri'), { target: { value: 'http://127.0.0.1:1/uri' } });
    await vi.advanceTimersByTimeAsync(300);
    await vi.advanceTimersByTimeAsync(2000); // the stale answer arrives
    expect(screen.queryByTestId('problem-name')).toBeNull();
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalledWith('web', []));
  });
});

describe('a bearer-token profile from the form', () => {
  it('asks for the token as its guide says, sends it once as the secret, and keeps it out of the form after', async () => {
    const calls: Calls = [];
    backend(calls, { add_profile: () => [] });
    const onsaved = vi.fn();
    render(ProfileForm, {
      props: { mode: 'add', initial: { name: '', type: 'bearer-token' }, guides: coreGuides(), forms: forms(), profileNames: [], onclose: vi.fn(), onsaved },
    });
    // The core's form: the header's name under Advanced, the token as the one secret.
    expect(screen.queryByTestId('secret-access_key_id')).toBeNull();
    const token = screen.getByTestId('secret-bearer_token') as HTMLInputElement;
    expect(token.type).toBe('password');
    expect(screen.getByTestId('field-bearer_token_header_key')).toBeInTheDocument();
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'pai' } });
    await fireEvent.input(token, { target: { value: ' tok-123 ' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalledWith('pai', []));
    const sent = calls.filter((c) => c.cmd === 'add_profile');
    expect(sent).toHaveLength(1);
    expect(sent[0].args).toMatchObject({ input: { name: 'pai', type: 'bearer-token' }, secret: { bearer_token: 'tok-123' }, replace: false });
    // The token went to no other call (validation sees the fields only).
    const elsewhere = calls.filter((c) => c.cmd !== 'add_profile' && JSON.stringify(c.args).includes('tok-123'));
    expect(elsewhere).toEqual([]);
  });
});
