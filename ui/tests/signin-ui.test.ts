// The dashboard's sign-in parts, rendered with a mocked backend: sessions
// grouped with a live countdown, the user-code panel, sign-ins started
// elsewhere, cancel, and the reload-problem banner.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { emitCore, mockCore } from './mock';
import App from '../src/App.svelte';
import ProfileForm from '../src/components/ProfileForm.svelte';
import type { ProfileType, SignInPrompt, TypeGuide } from '../src/lib/generated/api';
import { forms, groupsSignedIn, groupsSignedOut, ssoSignedIn, ssoSignedOut } from './fixtures/profiles';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
// The demo's CloudSSO session with three access configurations, an oauth
// profile that needs a sign-in and an access key, as the core makes them
// (ui_fixtures.rs).
const world = (signedIn: boolean) => (signedIn ? ssoSignedIn() : ssoSignedOut());

type Calls = Array<{ cmd: string; args: Record<string, unknown> }>;
const PROMPT: SignInPrompt = { profile: null, session: 'demo', user_code: 'WDJB-MJHT', url: 'http://127.0.0.1:9/device?user_code=WDJB-MJHT', expires_in: 600 };

function backend(calls: Calls, o: { signedIn?: () => boolean; waiting?: SignInPrompt | null; reload?: string | null; signIn?: () => Promise<unknown> } = {}) {
  mockCore(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      switch (cmd) {
        case 'list_profiles':
          return world(o.signedIn ? o.signedIn() : true);
        case 'get_events':
        case 'type_guides':
          return [];
        case 'sign_in_groups':
          // The core's groups, each session with its one state.
          return (o.signedIn ? o.signedIn() : true) ? groupsSignedIn() : groupsSignedOut();
        case 'endpoint_info':
          return { url: 'http://127.0.0.1:1/t/v1/credentials', export_line: 'export X=1', listen: '127.0.0.1:1', running: true };
        case 'get_settings':
          return { autostart: false, theme: 'system' };
        case 'sign_in_prompt':
          return o.waiting ?? null;
        case 'reload_problem':
          return o.reload ?? null;
        case 'verify':
          return { account_id: '2345678901234567', arn: 'acs:ram::2345678901234567:assumed-role/sso-ac-demo-dev/sso-user' };
        case 'sign_in':
          return o.signIn ? o.signIn() : { expires_at: iso(NOW + 8 * 3_600_000), profiles: ['a'] };
        default:
          return null;
      }
    },
  );
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

describe('CloudSSO sessions on the dashboard', () => {
  it('groups by session → account → access configuration with a ticking sign-in countdown; the rest stay in the table', async () => {
    backend([]);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('sso-session-demo')).toBeInTheDocument());
    const session = screen.getByTestId('sso-session-demo');
    const accounts = session.querySelectorAll('[data-testid^="sso-account-"]');
    expect([...accounts].map((a) => a.querySelector('.acct span')?.textContent)).toEqual(['Production', 'Sandbox']);
    expect(screen.getByTestId('sso-account-demo-1234567890123456')).toHaveTextContent('Administrator');
    expect(screen.getByTestId('sso-account-demo-1234567890123456')).toHaveTextContent('ReadOnly');
    expect(screen.getByTestId('sso-status-demo')).toHaveTextContent('Signed in · 8h 00m 00s left');
    await vi.advanceTimersByTimeAsync(2000);
    expect(screen.getByTestId('sso-status-demo')).toHaveTextContent('Signed in · 7h 59m 58s left');
    // SSO profiles are not rows of the table; the others are.
    expect(screen.queryByTestId('profile-row-demo-Sandbox-Developer')).toBeNull();
    expect(screen.getByTestId('profile-row-base')).toBeInTheDocument();
    expect(screen.getByTestId('profile-row-demo-oauth')).toBeInTheDocument();
    expect(screen.getByTestId('signin-demo-oauth')).toBeEnabled();
    expect(screen.queryByTestId('signin-base')).toBeNull();
  });

  it('makes an access configuration the active profile', async () => {
    const calls: Calls = [];
    backend(calls);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('active-demo-Sandbox-Developer')).toBeInTheDocument());
    expect(screen.getByTestId('active-demo-Production-Administrator')).toBeChecked();
    await fireEvent.click(screen.getByTestId('active-demo-Sandbox-Developer'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'set_active' && c.args.name === 'demo-Sandbox-Developer')).toBe(true));
  });

  it('an access configuration can be verified, edited and removed like any profile', async () => {
    const calls: Calls = [];
    backend(calls);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('verify-demo-Sandbox-Developer')).toBeEnabled());
    await fireEvent.click(screen.getByTestId('verify-demo-Sandbox-Developer'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'verify' && c.args.name === 'demo-Sandbox-Developer')).toBe(true));
    await vi.waitFor(() => expect(screen.getByTestId('verify-result-demo-Sandbox-Developer')).toHaveTextContent('assumed-role/sso-ac-demo-dev'));
    await fireEvent.click(screen.getByTestId('remove-demo-Sandbox-Developer'));
    expect(screen.getByTestId('confirm-dialog')).toHaveTextContent('Remove demo-Sandbox-Developer?');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    await fireEvent.click(screen.getByTestId('edit-demo-Sandbox-Developer'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'get_profile_input' && c.args.name === 'demo-Sandbox-Developer')).toBe(true));
  });

  it('signs in: the panel shows the code and the URL, then a toast with the expiry', async () => {
    const calls: Calls = [];
    let signedIn = false;
    let finish: (v: unknown) => void = () => {};
    backend(calls, { signedIn: () => signedIn, signIn: () => new Promise((r) => (finish = r)) });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('sso-status-demo')).toHaveTextContent('Sign in needed'));
    await fireEvent.click(screen.getByTestId('sso-signin-demo'));
    await vi.waitFor(() => expect(screen.getByTestId('sign-in-panel')).toHaveTextContent('Sign in to CloudSSO session demo'));
    expect(calls.find((c) => c.cmd === 'sign_in')?.args).toEqual({ profile: null, session: 'demo' });
    expect(screen.getByTestId('sign-in-starting')).toBeInTheDocument();
    await emitCore({ type: 'sign_in_prompt', prompt: PROMPT });
    await vi.waitFor(() => expect(screen.getByTestId('sign-in-code')).toHaveTextContent('WDJB-MJHT'));
    expect(screen.getByTestId('sign-in-url')).toHaveTextContent(PROMPT.url);
    expect(screen.getByTestId('sign-in-panel')).toHaveTextContent('browser has been opened');
    expect(screen.getByTestId('sign-in-expires')).toHaveTextContent('10m 00s');
    await vi.advanceTimersByTimeAsync(5000);
    expect(screen.getByTestId('sign-in-expires')).toHaveTextContent('9m 55s');
    signedIn = true;
    finish({ expires_at: iso(Date.now() + 8 * 3_600_000), profiles: ['a', 'b', 'c'] });
    await emitCore({ type: 'sign_in_done', ended: { ok: true, message: null, expires_at: iso(Date.now() + 8 * 3_600_000), profiles: ['a', 'b', 'c'] } });
    // The sign-in changed the profiles: the core pushes the new list.
    await emitCore({ type: 'profiles', profiles: world(true), reload_problem: null });
    await vi.waitFor(() => expect(screen.queryByTestId('sign-in-panel')).toBeNull());
    expect(screen.getByTestId('toast')).toHaveTextContent(/Signed in to CloudSSO session demo until \d\d:\d\d:\d\d \(8 h from now\)\. 3 profiles are ready\./);
    await vi.waitFor(() => expect(screen.getByTestId('sso-status-demo')).toHaveTextContent('Signed in ·'));
  });

  it('a failed sign-in shows its one line', async () => {
    backend([], {
      signedIn: () => false,
      signIn: () => Promise.reject({ message: 'the sign-in was denied in the browser; run it again to retry' }),
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('signin-demo-oauth')).toBeInTheDocument());
    await fireEvent.click(screen.getByTestId('signin-demo-oauth'));
    await vi.waitFor(() => expect(screen.getByTestId('toast')).toHaveTextContent('the sign-in was denied in the browser'));
    expect(screen.getByTestId('toast').className).toContain('tone-bad');
    expect(screen.queryByTestId('sign-in-panel')).toBeNull();
  });

  it('cancel asks the backend to stop and says so', async () => {
    const calls: Calls = [];
    let fail: (e: unknown) => void = () => {};
    backend(calls, { signedIn: () => false, signIn: () => new Promise((_, r) => (fail = r)) });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('sso-signin-demo')).toBeEnabled());
    await fireEvent.click(screen.getByTestId('sso-signin-demo'));
    await emitCore({ type: 'sign_in_prompt', prompt: PROMPT });
    await vi.waitFor(() => expect(screen.getByTestId('sign-in-code')).toBeInTheDocument());
    await fireEvent.click(screen.getByTestId('sign-in-cancel'));
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'cancel_sign_in')).toBe(true));
    expect(screen.getByTestId('sign-in-cancel')).toBeDisabled();
    fail({ message: 'the sign-in was cancelled' });
    await vi.waitFor(() => expect(screen.queryByTestId('sign-in-panel')).toBeNull());
    expect(screen.getByTestId('toast')).toHaveTextContent('Sign-in cancelled.');
  });

  it('shows a sign-in started from the tray, found on load, until it is done', async () => {
    backend([], { waiting: { ...PROMPT, user_code: 'TRAY-CODE' } });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('sign-in-code')).toHaveTextContent('TRAY-CODE'));
    await emitCore({ type: 'sign_in_done', ended: { ok: true, message: null, expires_at: iso(NOW + 3_600_000), profiles: ['x'] } });
    await vi.waitFor(() => expect(screen.queryByTestId('sign-in-panel')).toBeNull());
    expect(screen.getByTestId('toast')).toHaveTextContent(/Signed in to CloudSSO session demo until \d\d:\d\d:\d\d \(1 h from now\)/);
  });

  it('shows a sign-in started from the tray after load, and its failure', async () => {
    backend([]);
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('sso-session-demo')).toBeInTheDocument());
    await emitCore({ type: 'sign_in_prompt', prompt: { profile: 'demo-oauth', session: null, user_code: null, url: 'http://127.0.0.1:9/authorize?x=1', expires_in: null } });
    await vi.waitFor(() => expect(screen.getByTestId('sign-in-panel')).toHaveTextContent('Sign in to demo-oauth'));
    expect(screen.queryByTestId('sign-in-code')).toBeNull();
    expect(screen.getByTestId('sign-in-url')).toHaveTextContent('/authorize?x=1');
    await emitCore({ type: 'sign_in_done', ended: { ok: false, message: 'the callback carried error=access_denied', expires_at: null, profiles: [] } });
    await vi.waitFor(() => expect(screen.getByTestId('toast')).toHaveTextContent('error=access_denied'));
    expect(screen.queryByTestId('sign-in-panel')).toBeNull();
  });
});

describe('reload problem', () => {
  it('shows the agent’s one line while the profiles file cannot be read', async () => {
    let problem: string | null = 'profiles file not reloaded: profiles.toml line 3: expected `=`';
    const calls: Calls = [];
    mockCore((cmd) => {
      calls.push({ cmd, args: {} });
      if (cmd === 'reload_problem') return problem;
      if (cmd === 'list_profiles' || cmd === 'get_events' || cmd === 'type_guides' || cmd === 'sign_in_groups') return [];
      if (cmd === 'get_settings') return { autostart: false, theme: 'system' };
      return null;
    });
    render(App);
    await vi.waitFor(() => expect(screen.getByTestId('reload-problem')).toHaveTextContent('profiles.toml line 3: expected `=`'));
    problem = null;
    // Not by itself: the banner follows the agent's events.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(screen.getByTestId('reload-problem')).toBeInTheDocument();
    // The core pushes the list with the reloader's problem, now none.
    await emitCore({ type: 'profiles', profiles: [], reload_problem: null });
    await vi.waitFor(() => expect(screen.queryByTestId('reload-problem')).toBeNull());
  });
});

describe('profile forms for the sign-in types', () => {
  const g = (type: ProfileType, secret_fields: Array<'access_key_id' | 'access_key_secret'> = []): TypeGuide => ({
    type, title: type, use_when: 'u', needs_key_up_front: 'no', underlying: 'STS', refresh: 'r', secret_fields,
  });
  const guides = [g('access-key', ['access_key_id', 'access_key_secret']), g('cloud-sso'), g('oauth')];
  function mount(calls: Calls, type: string) {
    mockCore((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === 'sso_sessions') return [{ name: 'corp', sign_in_url: 'https://portal.example/login', signed_in: true, expires_at: null, profiles: [] }];
      if (cmd === 'check_profile' || cmd === 'add_profile') return [];
      return null;
    });
    const onsaved = vi.fn();
    render(ProfileForm, { props: { mode: 'add', initial: { name: '', type }, guides, forms: forms(), profileNames: [], onclose: vi.fn(), onsaved } });
    return onsaved;
  }

  it('cloud-sso: picking a known session fills its sign-in URL; no secret is asked; the input reaches the backend', async () => {
    const calls: Calls = [];
    const onsaved = mount(calls, 'cloud-sso');
    expect(screen.queryByTestId('secret-access_key_id')).toBeNull();
    expect(screen.queryByTestId('field-account_name')).toBeNull();
    await vi.waitFor(() => expect(calls.some((c) => c.cmd === 'sso_sessions')).toBe(true));
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'corp-prod-admin' } });
    await fireEvent.input(screen.getByTestId('field-sso_session'), { target: { value: 'corp' } });
    await vi.waitFor(() => expect(screen.getByTestId('field-sign_in_url')).toHaveValue('https://portal.example/login'));
    await fireEvent.input(screen.getByTestId('field-account_id'), { target: { value: '1234567890123456' } });
    await fireEvent.input(screen.getByTestId('field-access_config'), { target: { value: 'ac-admin' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
    const add = calls.find((c) => c.cmd === 'add_profile')!;
    expect(add.args.secret).toBeNull();
    expect(add.args.input).toMatchObject({
      type: 'cloud-sso', sso_session: 'corp', sign_in_url: 'https://portal.example/login', account_id: '1234567890123456', access_config: 'ac-admin',
    });
  });

  it('oauth: the site is a choice, the overrides are advanced', async () => {
    const calls: Calls = [];
    const onsaved = mount(calls, 'oauth');
    const site = screen.getByTestId('field-site') as HTMLSelectElement;
    expect([...site.options].map((o) => o.value)).toEqual(['cn', 'intl']);
    expect(screen.getByTestId('field-client_id').closest('details')).not.toBeNull();
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'me' } });
    await fireEvent.change(site, { target: { value: 'intl' } });
    await fireEvent.click(screen.getByTestId('form-submit'));
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
    expect(calls.find((c) => c.cmd === 'add_profile')!.args.input).toMatchObject({ type: 'oauth', site: 'intl', client_id: null });
  });
});
