// The dashboard's state. It is read once at start (and again only when the
// backend says events were lost), then kept by applying what the backend
// pushes (`apply`): nothing here polls. Components only render what this
// holds and call its methods; every rule (what can be rotated, what needs
// attention, which variables an export line sets) comes from the core.
import { api as realApi, EVENT_LOG_SIZE, follow as realFollow, type Api, type Update } from './api';
import { doneText, groupSignIns, promptTarget } from './signin';
import { mergeTimeline, timelineSince } from './timeline';
import { fromInput, type FormValues } from './form';
import { formatSpan, type KeyAge, type ShownProfile } from './format';
import type {
  EngineEvent,
  CallerIdentity,
  EndpointInfo,
  ProfileStatus,
  RotatePlan,
  SessionGroup,
  Settings,
  SignInEnded,
  SignInPrompt,
  TimelineBucket,
  TypeFields,
  TypeGuide,
} from './generated/api';

export type { Api };
export type Follow = typeof realFollow;

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
  /** The CloudSSO sessions, as the core sees them (signed in, until when). */
  sessions: SessionGroup[] = $state([]);
  events: EngineEvent[] = $state([]);
  guides: TypeGuide[] = $state([]);
  /** Each type's form fields (the core's `form_fields`). */
  forms: TypeFields[] = $state([]);
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
  rotations: Record<string, KeyAge> = $state({});
  refreshingAll = $state(false);
  signIn: SignInWait | null = $state(null);
  /** Why the agent is not following the profiles file (one line), if it is not. */
  reloadProblem: string | null = $state(null);

  /** Profiles with their key-rotation status attached. */
  shown: ShownProfile[] = $derived(this.profiles.map((p) => (this.rotations[p.name] ? { ...p, rotation: this.rotations[p.name] } : p)));
  /** How many profiles need attention (the core's flag). */
  attention = $derived(this.profiles.filter((p) => p.capabilities?.needs_attention).length);
  /** CloudSSO profiles by session → account → access configuration; the rest. */
  grouped = $derived(groupSignIns(this.shown, this.sessions));

  private lastEventId = 0;
  private unfollow: (() => void) | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private settingsSeq = 0;
  private stopped = false;

  constructor(
    private api: Api = realApi,
    private follow: Follow = realFollow,
    private applyTheme: (t: Settings['theme']) => void = applyThemeToDocument,
  ) {}

  say(text: string, tone: 'ok' | 'bad' = 'ok') {
    this.toast = { text, tone };
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (this.toast = null), tone === 'bad' ? 9000 : 3500);
  }

  /** Apply one change the backend pushed. */
  apply = (u: Update) => {
    if (this.stopped) return;
    switch (u.type) {
      case 'profile': {
        const i = this.profiles.findIndex((p) => p.name === u.status.name);
        // An older read of this profile than the one shown: it is news no more.
        if (i >= 0 && this.profiles[i].seq > u.status.seq) break;
        if (i >= 0) this.profiles[i] = u.status;
        else this.setProfiles([...this.profiles, u.status]);
        break;
      }
      case 'profiles':
        this.setProfiles(u.profiles);
        this.loadError = null;
        break;
      case 'sessions':
        this.sessions = u.sessions;
        break;
      case 'log':
        this.log([u.event]);
        if (u.event.profile && this.expanded[u.event.profile]) this.loadTimeline(u.event.profile);
        break;
      case 'endpoint':
        this.endpoint = u.info;
        break;
      case 'settings':
        this.settings = u.settings;
        this.applyTheme(u.settings.theme);
        break;
      case 'reload-problem':
        this.reloadProblem = u.problem;
        break;
      case 'rotation':
        this.rotations[u.profile] = u.status;
        break;
      case 'sign-in-prompt':
        this.prompted(u.prompt);
        break;
      case 'sign-in-done':
        this.signInEnded(u.done);
        break;
      case 'resync':
        this.resync();
        break;
    }
  };

  /** A new list: forget what belonged to profiles that are gone; ask the
   * key age of RAM-rotated profiles not seen before. */
  private setProfiles(incoming: ProfileStatus[]) {
    // Statuses come by two paths (pushes, and lists asked for) and may cross:
    // keep, per profile, the one read last (`seq`), and a profile a newer
    // push added that this older list does not know yet.
    const listSeq = Math.max(0, ...incoming.map((p) => p.seq));
    const shown = new Map(this.profiles.map((p) => [p.name, p]));
    const list = incoming.map((p) => {
      const had = shown.get(p.name);
      return had && had.seq > p.seq ? had : p;
    });
    const listed = new Set(list.map((p) => p.name));
    if (incoming.length) list.push(...this.profiles.filter((p) => !listed.has(p.name) && p.seq > listSeq));
    const names = new Set(list.map((p) => p.name));
    for (const rec of [this.rotations, this.timelines, this.expanded, this.verified]) {
      for (const n of Object.keys(rec)) if (!names.has(n)) delete rec[n];
    }
    this.profiles = list;
    for (const p of list) {
      if (p.capabilities?.rotation === 'ram' && !(p.name in this.rotations)) this.loadRotation(p.name);
    }
  }

  /** Keep each event id once, the newest `EVENT_LOG_SIZE`. */
  private log(got: EngineEvent[]) {
    const fresh = got.filter((e) => e.id > this.lastEventId);
    if (!fresh.length) return;
    this.lastEventId = fresh[fresh.length - 1].id;
    this.events = [...this.events, ...fresh].slice(-EVENT_LOG_SIZE);
  }

  loadProfiles = async () => {
    try {
      this.setProfiles(await this.api.listProfiles());
      this.loadError = null;
    } catch (e) {
      this.loadError = message(e);
    }
  };
  private async loadRotation(name: string) {
    // Placeholder so a second list does not ask again while this one runs.
    this.rotations[name] ??= {};
    try {
      this.rotations[name] = await this.api.rotationStatus(name);
    } catch (e) {
      this.rotations[name] = { error: message(e) };
    }
  }
  private async loadTimeline(name: string) {
    try {
      const delta = await this.api.getTimeline(name, timelineSince(this.timelines[name]));
      this.timelines[name] = mergeTimeline(this.timelines[name], delta, Date.now());
    } catch {
      /* shown empty */
    }
  }

  /** Read everything once: at start, and when events were lost. */
  resync = async () => {
    const settled = <T>(p: Promise<T>, set: (v: T) => void, fail?: (e: unknown) => void) =>
      p.then(set, (e) => fail?.(e));
    await Promise.all([
      this.loadProfiles(),
      settled(this.api.signInGroups(), (s) => (this.sessions = s)),
      settled(this.api.getEvents(this.lastEventId || undefined), (got) => this.log(got)),
      settled(this.api.endpointInfo(), (info) => (this.endpoint = info), (e) => {
        this.endpoint = { url: null, export_line: null, listen: null, running: false, error: message(e) };
      }),
      // An older backend has no reload banner.
      settled(this.api.reloadProblem(), (p) => (this.reloadProblem = p ?? null)),
      settled(this.api.signInPrompt(), (p) => p && this.prompted(p)),
    ]);
    for (const name of Object.keys(this.expanded).filter((n) => this.expanded[n])) this.loadTimeline(name);
  };

  /** Follow the backend's events, then read the state once. */
  async start() {
    try {
      [this.guides, this.forms] = await Promise.all([this.api.typeGuides(), this.api.formFields()]);
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
    // Listen first: a change between the read and the listen is not lost.
    try {
      this.unfollow = await this.follow(this.apply, this.api);
    } catch {
      /* without events, the page shows what it read */
    }
    await this.resync();
  }

  stop() {
    this.stopped = true;
    this.unfollow?.();
    this.unfollow = undefined;
    if (this.toastTimer) clearTimeout(this.toastTimer);
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
  signInEnded(e: SignInEnded) {
    const cur = this.signIn;
    if (!cur || cur.own) return;
    this.signIn = null;
    if (e.ok) this.say(doneText(cur.target, e, Date.now()));
    else this.say(cur.cancelling ? 'Sign-in cancelled.' : (e.message ?? `Sign-in to ${cur.target} did not complete.`), cur.cancelling ? 'ok' : 'bad');
  }

  /** Sign in to a CloudSSO session or an oauth profile; the panel shows the
   * code meanwhile. Whether another sign-in is in the way is the core's
   * answer, shown as it comes. */
  async startSignIn(target: { profile?: string | null; session?: string | null }) {
    const t = { profile: target.profile ?? null, session: target.session ?? null };
    const wait: SignInWait = { ...t, target: promptTarget(t), prompt: null, promptAt: 0, own: true, cancelling: false };
    // A panel already up (a sign-in from the tray) stays until the core answers.
    const mine = !this.signIn;
    if (mine) this.signIn = wait;
    try {
      const done = await this.api.signIn(t);
      this.say(doneText(wait.target, done, Date.now()));
    } catch (e) {
      if (mine && this.signIn?.cancelling) this.say('Sign-in cancelled.');
      else this.say(message(e), 'bad');
    } finally {
      if (mine && this.signIn?.own) this.signIn = null;
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
    } catch (e) {
      this.say(message(e), 'bad');
      // The radio button moved on click: put the list back as it is.
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
    }
  }
  /** Open the console as `name`; the core says which profiles can, and why not. */
  async openConsole(name: string) {
    this.busy[name] = 'console';
    try {
      await this.api.openConsole(name);
      this.say(`Opened the console for ${name}.`);
    } catch (e) {
      this.say(message(e), 'bad');
    } finally {
      delete this.busy[name];
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
      this.loadTimeline(name);
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
      this.loadRotation(name);
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
    } catch (e) {
      this.say(message(e), 'bad');
    }
  }
  toggle(name: string) {
    this.expanded[name] = !this.expanded[name];
    if (this.expanded[name]) this.loadTimeline(name);
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
    // The engine announces no reload for its very first profile; until the
    // tray pushes the new list itself, read it once after our own save.
    this.loadProfiles();
  }
}

export function applyThemeToDocument(t: Settings['theme']) {
  if (t === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
}
