/**
 * A concurrency limit whose waiting tasks start by priority, highest first (equal priorities in
 * the order they arrived), where p-limit starts them in arrival order only. The executor gives
 * each node the length of its longest path to a sink, so that a node others wait for (a
 * contrast, whose saves follow) starts before leaves that were queued earlier (the saves of
 * figures and residuals): the run ends sooner.
 */
export type PriorityLimit = <T>(priority: number, task: () => Promise<T>) => Promise<T>;

export function priorityLimit(concurrency: number): PriorityLimit {
  let active = 0;
  let arrivals = 0;
  const waiting: { priority: number; seq: number; start: () => void }[] = [];
  const startNext = () => {
    if (active >= concurrency || waiting.length === 0) return;
    let best = 0;
    for (let i = 1; i < waiting.length; i++) {
      const w = waiting[i];
      const b = waiting[best];
      if (w.priority > b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
    }
    const [next] = waiting.splice(best, 1);
    active++;
    next.start();
  };
  return <T>(priority: number, task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({
        priority,
        seq: arrivals++,
        start: () => {
          let running: Promise<T>;
          try {
            running = task();
          } catch (e) {
            running = Promise.reject(e); // a task that throws before returning its promise
          }
          running.then(resolve, reject).finally(() => {
            active--;
            // The freed slot is given away on the next turn of the event loop, not now: the
            // finished task's continuations (the executor emits 'node-done', then the nodes
            // that waited for it queue themselves) run first as microtasks, so a contrast made
            // ready by its last fit competes for the slot with the saves queued earlier and
            // wins on priority, instead of losing to whichever leaf was already waiting.
            setImmediate(startNext);
          });
        },
      });
      // as p-limit: a task never starts within the call that queues it
      queueMicrotask(startNext);
    });
}

/**
 * Each node's height: the number of nodes on its longest path to a node nothing depends on
 * (0 for those). `order` is topological; `deps` gives the ids a node depends on.
 */
export function heights(order: readonly string[], deps: (id: string) => readonly string[]): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const id of order) for (const d of deps(id)) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(id);
  const height = new Map<string, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    let h = 0;
    for (const d of dependents.get(order[i]) ?? []) h = Math.max(h, height.get(d)! + 1);
    height.set(order[i], h);
  }
  return height;
}
