// Thin wrappers over the Tauri commands (src-tauri/src/commands.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppEvent,
  CallerIdentity,
  CommandError,
  EndpointInfo,
  EventKind,
  Problem,
  ProfileInput,
  ProfileStatus,
  RotatePlan,
  RotateResult,
  RotationStatus,
  SecretInput,
  Settings,
  SignInDone,
  SignInDoneEvent,
  SignInPrompt,
  SsoSessionInfo,
  TimelineBucket,
  TypeGuide,
} from './types';

/** Any rejection → `CommandError` with a message a person can act on. */
export function asCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as CommandError).message === 'string') {
    const c = e as CommandError;
    return { message: c.message, problems: Array.isArray(c.problems) ? c.problems : undefined };
  }
  if (typeof e === 'string') return { message: e };
  if (e instanceof Error) return { message: e.message };
  return { message: 'Something went wrong talking to the alicred backend.' };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asCommandError(e);
  }
}

/** The event log keeps (and the backend sends) only the newest events it shows. */
export const EVENT_LOG_SIZE = 200;

export type Api = typeof api;

export const api = {
  listProfiles: () => call<ProfileStatus[]>('list_profiles'),
  getEvents: (after?: number) => call<AppEvent[]>('get_events', { after: after ?? null, limit: EVENT_LOG_SIZE }),
  /** With `since` (the start of the last bucket the page has): only that bucket and newer ones. */
  getTimeline: (name: string, since?: string) => call<TimelineBucket[]>('get_timeline', { name, since: since ?? null }),
  typeGuides: () => call<TypeGuide[]>('type_guides'),
  checkProfile: (input: ProfileInput) => call<Problem[]>('check_profile', { input }),
  addProfile: (input: ProfileInput, secret: SecretInput | null, replace: boolean) =>
    call<Problem[]>('add_profile', { input, secret, replace }),
  getProfileInput: (name: string) => call<ProfileInput>('get_profile_input', { name }),
  removeProfile: (name: string) => call<void>('remove_profile', { name }),
  setActive: (name: string) => call<void>('set_active', { name }),
  refresh: (name?: string) => call<void>('refresh', { name: name ?? null }),
  verify: (name: string) => call<CallerIdentity>('verify', { name }),
  endpointInfo: () => call<EndpointInfo>('endpoint_info'),
  getSettings: () => call<Settings>('get_settings'),
  setSettings: (settings: Settings) => call<Settings>('set_settings', { settings }),
  copyText: (text: string) => call<void>('copy_text', { text }),
  rotatePlan: (name: string) => call<RotatePlan>('rotate_plan', { name }),
  rotate: (name: string, deleteInactive = false) => call<RotateResult>('rotate', { name, deleteInactive }),
  rotationStatus: (name: string) => call<RotationStatus>('rotation_status', { name }),
  /** Resolves when the sign-in completes (or rejects with why it did not). */
  signIn: (target: { profile?: string | null; session?: string | null }) =>
    call<SignInDone>('sign_in', { profile: target.profile ?? null, session: target.session ?? null }),
  /** The prompt of the sign-in waiting now (one started from the tray, say). */
  signInPrompt: () => call<SignInPrompt | null>('sign_in_prompt'),
  cancelSignIn: () => call<void>('cancel_sign_in'),
  ssoSessions: () => call<SsoSessionInfo[]>('sso_sessions'),
  /** Open the web console as this profile (in the browser the profile names). */
  openConsole: (name: string) => call<void>('open_console', { name }),
  /** Why the agent is not following the profiles file, if it is not. */
  reloadProblem: () => call<string | null>('reload_problem'),
};

/**
 * What changed, as the dashboard applies it: one union, so the controller has
 * a single `apply` and nothing else of it depends on how the backend's
 * events are named or shaped (that is [`follow`]'s business alone).
 */
export type Update =
  /** One profile's status (upsert by name). */
  | { type: 'profile'; status: ProfileStatus }
  /** The whole list: after a reload, an add, a removal, a new active profile. */
  | { type: 'profiles'; profiles: ProfileStatus[] }
  /** The CloudSSO sessions as the core sees them. */
  | { type: 'sessions'; sessions: SsoSessionInfo[] }
  /** A new line of the event log. */
  | { type: 'log'; event: AppEvent }
  | { type: 'endpoint'; info: EndpointInfo }
  | { type: 'reload-problem'; problem: string | null }
  | { type: 'rotation'; profile: string; status: RotationStatus }
  | { type: 'sign-in-prompt'; prompt: SignInPrompt }
  | { type: 'sign-in-done'; done: SignInDoneEvent }
  /** Events were lost (a lagging or new connection): read everything again. */
  | { type: 'resync' };

const ENGINE_EVENT = 'alicred://event';
const PROMPT_EVENT = 'alicred://sign-in-prompt';
const DONE_EVENT = 'alicred://sign-in-done';

/** Events of the log that may change what the profiles' list, the sessions,
 * the endpoint or the reload banner show. */
const CHANGES_PROFILES = new Set<EventKind>([
  'refreshed', 'refresh-failed', 'state-changed', 'handout', 'expiring-soon', 'needs-user', 'rotation', 'invalidated', 'config-reloaded', 'agent',
]);

/**
 * Follow the backend: every pushed event becomes `Update`s for `cb`.
 *
 * Today's engine events say what happened, not what the profiles now look
 * like; so, after a burst of them, this reads what they may have changed,
 * once. This is the one place that reads after an event: when the tray
 * pushes the changed statuses themselves, these reads go and the events map
 * one to one.
 */
export async function follow(cb: (u: Update) => void, backend: Api = api): Promise<UnlistenFn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let rotated = new Set<string>();
  const readBack = async () => {
    timer = undefined;
    const names = rotated;
    rotated = new Set();
    const [profiles, sessions, endpoint, problem] = await Promise.allSettled([
      backend.listProfiles(),
      backend.ssoSessions(),
      backend.endpointInfo(),
      backend.reloadProblem(),
    ]);
    if (profiles.status === 'fulfilled') cb({ type: 'profiles', profiles: profiles.value });
    if (sessions.status === 'fulfilled') cb({ type: 'sessions', sessions: sessions.value });
    if (endpoint.status === 'fulfilled') cb({ type: 'endpoint', info: endpoint.value });
    if (problem.status === 'fulfilled') cb({ type: 'reload-problem', problem: problem.value ?? null });
    for (const name of names) {
      backend.rotationStatus(name).then((status) => cb({ type: 'rotation', profile: name, status }), () => {});
    }
  };
  const soon = () => {
    if (!timer) timer = setTimeout(readBack, 200);
  };
  const off = await Promise.all([
    listen<AppEvent>(ENGINE_EVENT, (m) => {
      const ev = m.payload;
      cb({ type: 'log', event: ev });
      if (ev.profile && (ev.kind === 'rotation' || ev.kind === 'key-due')) rotated.add(ev.profile);
      if (CHANGES_PROFILES.has(ev.kind)) soon();
    }),
    listen<SignInPrompt>(PROMPT_EVENT, (m) => cb({ type: 'sign-in-prompt', prompt: m.payload })),
    listen<SignInDoneEvent>(DONE_EVENT, (m) => {
      cb({ type: 'sign-in-done', done: m.payload });
      soon();
    }),
  ]);
  return () => {
    off.forEach((u) => u());
    if (timer) clearTimeout(timer);
  };
}
