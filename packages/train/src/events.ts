import type { TrainCallbacks } from './types.js';

type EventOf<K extends keyof TrainCallbacks> = Parameters<NonNullable<TrainCallbacks[K]>>[0];

/** Delivers each event to every subscriber in order, awaiting async handlers. */
export class EventHub {
  readonly #subscribers: readonly TrainCallbacks[];
  constructor(callbacks: TrainCallbacks | readonly TrainCallbacks[] | undefined) {
    this.#subscribers =
      callbacks === undefined
        ? []
        : Array.isArray(callbacks)
          ? (callbacks as readonly TrainCallbacks[])
          : [callbacks as TrainCallbacks];
  }

  /** Whether anyone listens, so the loop can skip building an event nobody reads. */
  has(name: keyof TrainCallbacks): boolean {
    return this.#subscribers.some((s) => typeof s[name] === 'function');
  }

  async emit<K extends keyof TrainCallbacks>(name: K, event: EventOf<K>): Promise<void> {
    for (const subscriber of this.#subscribers) {
      const handler = subscriber[name] as ((e: EventOf<K>) => unknown) | undefined;
      if (handler) await handler.call(subscriber, event);
    }
  }
}
