// The dashboard's one way to the core: `call` sends a typed request of the
// core's API (through the dashboard process's one Tauri command to the tray
// agent) and `follow` turns the API's pushed events into `Update`s. The
// request, answer and event types are generated from the Rust ones
// (./generated/api.ts); nothing here decides anything.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  ApiError,
  EndpointInfo,
  EngineEvent,
  Event,
  ProfileInput,
  ProfileStatus,
  Request,
  Response,
  RotationStatus,
  SecretInput,
  SessionGroup,
  Settings,
  SignInEnded,
  SignInPrompt,
} from './generated/api';

/** Any rejection → `ApiError` with a message a person can act on. */
export function asCommandError(e: unknown): ApiError {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as ApiError).message === 'string') {
    const c = e as ApiError;
    return { message: c.message, problems: Array.isArray(c.problems) ? c.problems : undefined };
  }
  if (typeof e === 'string') return { message: e };
  if (e instanceof Error) return { message: e.message };
  return { message: 'Something went wrong talking to the alicred backend.' };
}

type Cmd = Request['cmd'];
/** The answer's value for a request (nothing for the unit answers). */
type Answer<K extends Cmd> = Extract<Response, { kind: K }> extends { value: infer V } ? V : void;

/** Ask the core: the answer of the same name, or an `ApiError`. */
export async function call<R extends Request>(request: R): Promise<Answer<R['cmd']>> {
  try {
    const reply = await invoke<Response>('call', { request });
    return ('value' in reply ? reply.value : undefined) as Answer<R['cmd']>;
  } catch (e) {
    throw asCommandError(e);
  }
}

/** The event log keeps (and the backend sends) only the newest events it shows. */
export const EVENT_LOG_SIZE = 200;

export type Api = typeof api;

export const api = {
  listProfiles: () => call({ cmd: 'list_profiles' }),
  getEvents: (after?: number) => call({ cmd: 'get_events', args: { after: after ?? null, limit: EVENT_LOG_SIZE } }),
  /** With `since` (the start of the last bucket the page has): only that bucket and newer ones. */
  getTimeline: (name: string, since?: string) => call({ cmd: 'get_timeline', args: { name, since: since ?? null } }),
  typeGuides: () => call({ cmd: 'type_guides' }),
  /** The form of each profile type: its fields and secret inputs. */
  formFields: () => call({ cmd: 'form_fields' }),
  checkProfile: (input: ProfileInput) => call({ cmd: 'check_profile', args: { input } }),
  addProfile: (input: ProfileInput, secret: SecretInput | null, replace: boolean) =>
    call({ cmd: 'add_profile', args: { input, secret, replace } }),
  getProfileInput: (name: string) => call({ cmd: 'get_profile_input', args: { name } }),
  removeProfile: (name: string) => call({ cmd: 'remove_profile', args: { name } }),
  setActive: (name: string) => call({ cmd: 'set_active', args: { name } }),
  refresh: (name?: string) => call({ cmd: 'refresh', args: { name: name ?? null } }),
  verify: (name: string) => call({ cmd: 'verify', args: { name } }),
  endpointInfo: () => call({ cmd: 'endpoint_info' }),
  getSettings: () => call({ cmd: 'get_settings' }),
  setSettings: (settings: Settings) => call({ cmd: 'set_settings', args: { settings } }),
  copyText: (text: string) => call({ cmd: 'copy_text', args: { text } }),
  rotatePlan: (name: string) => call({ cmd: 'rotate_plan', args: { name } }),
  rotate: (name: string, deleteInactive = false) => call({ cmd: 'rotate', args: { name, delete_inactive: deleteInactive } }),
  rotationStatus: (name: string) => call({ cmd: 'rotation_status', args: { name } }),
  /** Resolves when the sign-in completes (or rejects with why it did not). */
  signIn: (target: { profile?: string | null; session?: string | null }) =>
    call({ cmd: 'sign_in', args: { profile: target.profile ?? null, session: target.session ?? null } }),
  /** The prompt of the sign-in waiting now (one started from the tray, say). */
  signInPrompt: () => call({ cmd: 'sign_in_prompt' }),
  cancelSignIn: () => call({ cmd: 'cancel_sign_in' }),
  ssoSessions: () => call({ cmd: 'sso_sessions' }),
  /** CloudSSO sessions → accounts → access configurations, each session with the core's state. */
  signInGroups: () => call({ cmd: 'sign_in_groups' }),
  /** Why the agent is not following the profiles file, if it is not. */
  reloadProblem: () => call({ cmd: 'reload_problem' }),
  /** Open the web console as this profile (the request the console use case answers). */
  openConsole: (name: string) => call({ cmd: 'open_console', args: { name } }) as Promise<void>,
};

/**
 * What changed, as the dashboard applies it: one union, so the controller has
 * a single `apply` and nothing else of it depends on how the core's events
 * are shaped (that is `follow`'s business alone).
 */
export type Update =
  /** One profile's status (upsert by name). */
  | { type: 'profile'; status: ProfileStatus }
  /** The whole list: after a reload, an add, a removal, a new active profile. */
  | { type: 'profiles'; profiles: ProfileStatus[] }
  /** The CloudSSO sessions as the core groups and judges them. */
  | { type: 'sessions'; sessions: SessionGroup[] }
  /** A new line of the event log. */
  | { type: 'log'; event: EngineEvent }
  | { type: 'endpoint'; info: EndpointInfo }
  | { type: 'reload-problem'; problem: string | null }
  | { type: 'rotation'; profile: string; status: RotationStatus }
  | { type: 'settings'; settings: Settings }
  | { type: 'sign-in-prompt'; prompt: SignInPrompt }
  | { type: 'sign-in-done'; done: SignInEnded }
  /** Events were lost (a lagging or new connection): read everything again. */
  | { type: 'resync' };

/** The webview's one event channel: every event of the core's API. */
export const EVENT_CHANNEL = 'alicred://api';

/** Each API event as the dashboard's updates. */
export function updatesOf(ev: Event): Update[] {
  switch (ev.type) {
    case 'log':
      return [{ type: 'log', event: ev.event }];
    case 'profile':
      return [{ type: 'profile', status: ev.status }];
    case 'profiles':
      return [
        { type: 'profiles', profiles: ev.profiles },
        { type: 'reload-problem', problem: ev.reload_problem },
      ];
    case 'sign_in_prompt':
      return [{ type: 'sign-in-prompt', prompt: ev.prompt }];
    case 'sign_in_done':
      return [{ type: 'sign-in-done', done: ev.ended }];
    case 'settings':
      return [{ type: 'settings', settings: ev.settings }];
    case 'resync':
      return [{ type: 'resync' }];
    case 'notification':
      // The tray shows notifications; the window has its own toasts.
      return [];
  }
}

/**
 * Follow the core: every pushed event becomes `Update`s for `cb`. The
 * session groups are the core's too; a change of profiles may change them,
 * so after a burst of profile events they are asked for once; and a
 * rotation's line brings that profile's key status.
 */
export async function follow(cb: (u: Update) => void, backend: Api = api): Promise<UnlistenFn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const groups = () => {
    timer = undefined;
    backend.signInGroups().then((sessions) => cb({ type: 'sessions', sessions }), () => {});
  };
  const off = await listen<Event>(EVENT_CHANNEL, (m) => {
    const ev = m.payload;
    for (const u of updatesOf(ev)) cb(u);
    if ((ev.type === 'profile' && ev.status.sign_in?.session) || ev.type === 'profiles') {
      if (!timer) timer = setTimeout(groups, 100);
    }
    if (ev.type === 'log' && ev.event.profile && (ev.event.kind === 'rotation' || ev.event.kind === 'key-due')) {
      const name = ev.event.profile;
      backend.rotationStatus(name).then((status) => cb({ type: 'rotation', profile: name, status }), () => {});
    }
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
