// The dashboard's state, loaders and timers. Components only render what
// this holds and call its methods; every rule (what can be rotated, what
// needs attention, which variables an export line sets) comes from the core.
import { api as realApi, EVENT_LOG_SIZE, onEngineEvent as realOnEngineEvent, signInEvents as realSignInEvents } from './api';
import { doneText, groupSignIns, promptTarget } from './signin';
import { mergeTimeline, timelineSince } from './timeline';
import { fromInput, type FormValues } from './form';
import { formatSpan } from './format';
import type {
  AppEvent,
  CallerIdentity,
  EndpointInfo,
  ProfileStatus,
  RotatePlan,
  RotationStatus,
  Settings,
  SignInDoneEvent,
  SignInPrompt,
  TimelineBucket,
  TypeGuide,
} from './types';

export type Api = typeof realApi;
export type SignInEvents = typeof realSignInEvents;

/** A sign-in in progress: whose, and the prompt once the backend has one. */
export interface SignInWait {
  profile: string | null;
  session: string | null;
  /** "CloudSSO session corp", "demo-oauth". */
  target: string;
  prompt: SignInPrompt | null;
  /** When the prompt arrived (ms), for the code's countdown. */
  promptAt: number;
  /** Started by this window (its `sign_in` call reports the end), or elsewhere (the tray). */
  own: boolean;
  cancelling: boolean;
}
export type Verified = { ok: true; id: CallerIdentity } | { ok: false; error: string };
export type Toast = { text: string; tone: 'ok' | 'bad' };
export interface RotateConfirm {
  name: string;
  title: string;
  message: string;
}

const message = (e: unknown) => (e as { message: string }).message;

/** Poll intervals (ms): a safety net; engine events drive most updates. */
export const INTERVALS = { profiles: 3000, events: 4000, endpoint: 15000, timelines: 30000, rotations: 60000 };

/** The confirmation for "rotate now", in the words of what will happen. */
export function rotateConfirm(name: string, plan: RotatePlan): RotateConfirm {
  if (plan.method === 'kms') {
    return {
      name,
      title: `Rotate the KMS secret of ${name}?`,
      message: `KMS creates a new version of the secret and alicred follows it. Tools reading the endpoint pick up the new key on their next refresh.`,
    };
  }
  const grace = plan.grace_seconds ? ` (deleted after ${formatSpan(plan.grace_seconds)})` : '';
  return {
    name,
    title: `Rotate the AccessKey of ${name}?`,
    message: `alicred creates a new key, verifies it, switches ${name} to it and deactivates the old key${grace}. Tools reading the endpoint pick up the new key on their next refresh.`,
  };
}

export class Dashboard {
  profiles: ProfileStatus[] = $state([]);
  events: AppEvent[] = $state([]);
  guides: TypeGuide[] = $state([]);
  endpoint: EndpointInfo | null = $state(null);
  settings: Settings = $state({ autostart: false, theme: 'system' });
  timelines: Record<string, TimelineBucket[]> = $state({});
  verified: Record<string, Verified> = $state({});
  busy: Record<string, string> = $state({});
  expanded: Record<string, boolean> = $state({});
  loadError: string | null = $state(null);
  toast: Toast | null = $state(null);
  form: { mode: 'add' | 'edit'; initial: FormValues } | null = $state(null);
  confirmRemove: string | null = $state(null);
  confirmRotate: RotateConfirm | null = $state(null);
  rotations: Record<string, RotationStatus> = $state({});
  refreshingAll = $state(false);
  signIn: SignInWait | null = $state(null);
  /** Why the agent is not following the profiles file (one line), if it is not. */
  reloadProblem: string | null = $state(null);

  /** Profiles with their key-rotation status attached. */
  shown = $derived(this.profiles.map((p) => (this.rotations[p.name] ? { ...p, rotation: this.rotations[p.name] } : p)));
  /** How many profiles need attention (the core's flag). */
  attention = $derived(this.profiles.filter((p) => p.capabilities?.needs_attention).length);
  /** CloudSSO profiles by session → account → access configuration; the rest. */
  grouped = $derived(groupSignIns(this.shown));

  private lastEventId = 0;
  private unlisten: (() => void) | undefined;
  private unlistenSignIn: Array<() => void> = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private settingsSeq = 0;

  constructor(
    private api: Api = realApi,
    private onEngineEvent: typeof realOnEngineEvent = realOnEngineEvent,
    private applyTheme: (t: Settings['theme']) => void = applyThemeToDocument,
    private signInEvents: SignInEvents = realSignInEvents,
  ) {}

  say(text: string, tone: 'ok' | 'bad' = 'ok') {
    this.toast = { text, tone };
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (this.toast = null), tone === 'bad' ? 9000 : 3500);
  }

  /** Profiles whose key age the core reports (RAM rotation). */
  private ramRotatable() {
    return this.profiles.filter((p) => p.capabilities?.rotation === 'ram');
  }

  loadProfiles = async () => {
    try {
      this.profiles = await this.api.listProfiles();
      this.loadError = null;
      if (this.ramRotatable().some((p) => !(p.name in this.rotations))) this.loadRotations();
    } catch (e) {
      this.loadError = message(e);
    }
  };
  loadReloadProblem = async () => {
    try {
      this.reloadProblem = (await this.api.reloadProblem()) ?? null;
    } catch {
      /* an older backend: no banner */
    }
  };
  loadEvents = async () => {
    try {
      const got = await this.api.getEvents(this.lastEventId || undefined);
      // Pushed events may have arrived meanwhile: keep each id once.
      const fresh = got.filter((e) => e.id > this.lastEventId);
      if (fresh.length) {
        this.lastEventId = fresh[fresh.length - 1].id;
        this.events = [...this.events, ...fresh].slice(-EVENT_LOG_SIZE);
      }
    } catch {
      /* the log is best effort */
    }
  };
  loadRotations = async () => {
    for (const p of this.ramRotatable()) {
      try {
        this.rotations[p.name] = await this.api.rotationStatus(p.name);
      } catch (e) {
        this.rotations[p.name] = { error: message(e) };
      }
    }
  };
  loadEndpoint = async () => {
    try {
      this.endpoint = await this.api.endpointInfo();
    } catch (e) {
      this.endpoint = { url: null, export_line: null, listen: null, running: false, error: message(e) };
    }
  };
  loadTimelines = async () => {
    for (const name of Object.keys(this.expanded).filter((n) => this.expanded[n])) {
      try {
        const delta = await this.api.getTimeline(name, timelineSince(this.timelines[name]));
        this.timelines[name] = mergeTimeline(this.timelines[name], delta, Date.now());
      } catch {
        /* shown empty */
      }
    }
  };
  scheduleReload() {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.loadProfiles();
      this.loadEvents();
      this.loadTimelines();
      this.loadReloadProblem();
    }, 200);
  }

  /** Load everything, follow engine events, start the safety-net timers. */
  async start() {
    try {
      this.guides = await this.api.typeGuides();
    } catch (e) {
      this.loadError = message(e);
    }
    try {
      const loaded = await this.api.getSettings();
      if (this.settingsSeq === 0) {
        this.settings = loaded;
        this.applyTheme(loaded.theme);
      }
    } catch {
      /* defaults */
    }
    await Promise.all([this.loadProfiles(), this.loadEvents(), this.loadEndpoint(), this.loadReloadProblem()]);
    this.loadRotations();
    await this.followSignIns();
    try {
      this.unlisten = await this.onEngineEvent((ev) => {
        if (ev.id > this.lastEventId) {
          this.events = [...this.events, ev].slice(-EVENT_LOG_SIZE);
          this.lastEventId = ev.id;
        }
        this.scheduleReload();
      });
    } catch {
      /* the timers below still work */
    }
    this.timers.push(setInterval(this.loadProfiles, INTERVALS.profiles));
    this.timers.push(setInterval(this.loadReloadProblem, INTERVALS.profiles));
    this.timers.push(setInterval(this.loadEvents, INTERVALS.events));
    this.timers.push(setInterval(this.loadEndpoint, INTERVALS.endpoint));
    this.timers.push(setInterval(this.loadTimelines, INTERVALS.timelines));
    this.timers.push(setInterval(this.loadRotations, INTERVALS.rotations));
  }

  stop() {
    this.unlisten?.();
    this.unlistenSignIn.forEach((u) => u());
    this.unlistenSignIn = [];
    this.timers.forEach(clearInterval);
    this.timers = [];
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    if (this.toastTimer) clearTimeout(this.toastTimer);
  }

  /** Show sign-ins started anywhere (the tray too), and the one waiting now. */
  private async followSignIns() {
    try {
      this.unlistenSignIn.push(await this.signInEvents.onPrompt((p) => this.prompted(p)));
      this.unlistenSignIn.push(await this.signInEvents.onDone((e) => this.signInEnded(e)));
    } catch {
      /* without events, this window still shows its own sign-ins */
    }
    try {
      const waiting = await this.api.signInPrompt();
      if (waiting) this.prompted(waiting);
    } catch {
      /* nothing waiting that we can see */
    }
  }

  prompted(p: SignInPrompt) {
    const cur = this.signIn;
    if (cur && (cur.own || (cur.profile === p.profile && cur.session === p.session))) {
      this.signIn = { ...cur, prompt: p, promptAt: Date.now() };
    } else {
      this.signIn = { profile: p.profile, session: p.session, target: promptTarget(p), prompt: p, promptAt: Date.now(), own: false, cancelling: false };
    }
  }

  /** The end of a sign-in this window did not start (its own call reports its own). */
  signInEnded(e: SignInDoneEvent) {
    const cur = this.signIn;
    if (!cur || cur.own) return;
    this.signIn = null;
    if (e.ok) this.say(doneText(cur.target, e, Date.now()));
    else this.say(cur.cancelling ? 'Sign-in cancelled.' : (e.message ?? `Sign-in to ${cur.target} did not complete.`), cur.cancelling ? 'ok' : 'bad');
    this.scheduleReload();
  }

  /** Sign in to a CloudSSO session or an oauth profile; the panel shows the code meanwhile. */
  async startSignIn(target: { profile?: string | null; session?: string | null }) {
    if (this.signIn) {
      this.say(`A sign-in to ${this.signIn.target} is already waiting: finish or cancel it first.`, 'bad');
      return;
    }
    const t = { profile: target.profile ?? null, session: target.session ?? null };
    const wait: SignInWait = { ...t, target: promptTarget(t), prompt: null, promptAt: 0, own: true, cancelling: false };
    this.signIn = wait;
    try {
      const done = await this.api.signIn(t);
      this.say(doneText(wait.target, done, Date.now()));
    } catch (e) {
      if (this.signIn?.cancelling) this.say('Sign-in cancelled.');
      else this.say(message(e), 'bad');
    } finally {
      if (this.signIn?.own) this.signIn = null;
      await this.loadProfiles();
      this.scheduleReload();
    }
  }

  async cancelSignIn() {
    if (!this.signIn) return;
    this.signIn = { ...this.signIn, cancelling: true };
    try {
      await this.api.cancelSignIn();
    } catch (e) {
      this.signIn = this.signIn && { ...this.signIn, cancelling: false };
      this.say(message(e), 'bad');
    }
  }

  async activate(name: string) {
    try {
      await this.api.setActive(name);
      this.say(`${name} is now the active profile.`);
      await Promise.all([this.loadProfiles(), this.loadEndpoint()]);
    } catch (e) {
      this.say(message(e), 'bad');
      await this.loadProfiles();
    }
  }
  async refresh(name: string) {
    this.busy[name] = 'refresh';
    try {
      await this.api.refresh(name);
    } catch (e) {
      this.say(`Refresh of ${name} failed: ${message(e)}`, 'bad');
    } finally {
      delete this.busy[name];
      this.scheduleReload();
    }
  }
  async refreshAll() {
    this.refreshingAll = true;
    try {
      await this.api.refresh();
      this.say('Refreshing every profile.');
    } catch (e) {
      this.say(message(e), 'bad');
    } finally {
      this.refreshingAll = false;
      this.scheduleReload();
    }
  }
  async verify(name: string) {
    this.busy[name] = 'verify';
    this.expanded[name] = true;
    try {
      const id = await this.api.verify(name);
      this.verified[name] = { ok: true, id };
    } catch (e) {
      this.verified[name] = { ok: false, error: message(e) };
    } finally {
      delete this.busy[name];
      this.loadTimelines();
    }
  }
  /** Ask the core how `name` rotates, then ask the user. */
  async askRotate(name: string) {
    try {
      this.confirmRotate = rotateConfirm(name, await this.api.rotatePlan(name));
    } catch (e) {
      this.say(message(e), 'bad');
    }
  }
  async rotate(name: string) {
    this.confirmRotate = null;
    this.busy[name] = 'rotate';
    try {
      const done = await this.api.rotate(name, false);
      this.say(done.message || `Rotated ${name}.`);
    } catch (e) {
      this.say(`Rotation of ${name} did not run: ${message(e)}`, 'bad');
    } finally {
      delete this.busy[name];
      this.scheduleReload();
      this.loadRotations();
    }
  }
  async edit(name: string) {
    try {
      const input = await this.api.getProfileInput(name);
      this.form = { mode: 'edit', initial: fromInput(input) };
    } catch (e) {
      this.say(message(e), 'bad');
    }
  }
  async remove(name: string) {
    this.confirmRemove = null;
    try {
      await this.api.removeProfile(name);
      this.say(`Removed ${name} and its secrets.`);
      delete this.expanded[name];
      await Promise.all([this.loadProfiles(), this.loadEndpoint()]);
    } catch (e) {
      this.say(message(e), 'bad');
    }
  }
  toggle(name: string) {
    this.expanded[name] = !this.expanded[name];
    if (this.expanded[name]) this.loadTimelines();
  }
  async copy(text: string, what: string) {
    try {
      await this.api.copyText(text);
      this.say(`${what} copied.`);
    } catch {
      try {
        await navigator.clipboard.writeText(text);
        this.say(`${what} copied.`);
      } catch {
        this.say('Could not reach the clipboard; select the text and copy it by hand.', 'bad');
      }
    }
  }
  async saveSettings(next: Settings) {
    // Optimistic: the toggle reflects the click at once; a slower earlier
    // save must not undo a later one.
    const seq = ++this.settingsSeq;
    const before = this.settings;
    this.settings = next;
    this.applyTheme(next.theme);
    try {
      const saved = await this.api.setSettings(next);
      if (seq === this.settingsSeq) this.settings = saved;
    } catch (e) {
      if (seq === this.settingsSeq) {
        this.settings = before;
        this.applyTheme(before.theme);
      }
      this.say(message(e), 'bad');
    }
  }
  cycleTheme() {
    const order: Settings['theme'][] = ['system', 'light', 'dark'];
    const next = order[(order.indexOf(this.settings.theme) + 1) % order.length];
    this.saveSettings({ ...this.settings, theme: next });
  }
  saved(name: string, warnings: { message: string; field: string }[]) {
    const verb = this.form?.mode === 'edit' ? 'Saved' : 'Added';
    this.form = null;
    this.say(`${verb} ${name}.${warnings.length ? ` Note: ${warnings.map((w) => `${w.field}: ${w.message}`).join('; ')}` : ''}`);
    this.loadProfiles();
    this.loadEndpoint();
  }
}

export function applyThemeToDocument(t: Settings['theme']) {
  if (t === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
}
