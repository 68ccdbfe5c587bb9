// Thin wrappers over the Tauri commands (src-tauri/src/commands.rs).
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppEvent,
  CallerIdentity,
  CommandError,
  EndpointInfo,
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
  /** Why the agent is not following the profiles file, if it is not. */
  reloadProblem: () => call<string | null>('reload_problem'),
};

/** Engine events pushed by the backend (`alicred://event`). */
export function onEngineEvent(cb: (e: AppEvent) => void): Promise<UnlistenFn> {
  return listen<AppEvent>('alicred://event', (m) => cb(m.payload));
}

/** Sign-in events pushed by the backend. */
export const signInEvents = {
  onPrompt: (cb: (p: SignInPrompt) => void): Promise<UnlistenFn> =>
    listen<SignInPrompt>('alicred://sign-in-prompt', (m) => cb(m.payload)),
  onDone: (cb: (d: SignInDoneEvent) => void): Promise<UnlistenFn> =>
    listen<SignInDoneEvent>('alicred://sign-in-done', (m) => cb(m.payload)),
};
