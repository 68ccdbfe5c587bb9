// One shared clock for every countdown: ticks once a second.
let now = $state(Date.now());
let timer: ReturnType<typeof setInterval> | undefined;

export const clock = {
  get now() {
    return now;
  },
  start() {
    now = Date.now();
    if (!timer) timer = setInterval(() => (now = Date.now()), 1000);
  },
  stop() {
    if (timer) clearInterval(timer);
    timer = undefined;
  },
  /** For tests. */
  set(t: number) {
    now = t;
  },
};
