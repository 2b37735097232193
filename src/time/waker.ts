/**
 * Cuts a background loop's idle wait short. A wake that comes while the loop is
 * busy is remembered, so the next sleep returns at once and no signal is lost.
 */
export class Waker {
  #pending = false;
  #cancelSleep: (() => void) | undefined;

  wake(): void {
    if (this.#cancelSleep) this.#cancelSleep();
    else this.#pending = true;
  }

  /** Waits `ms`, or less when woken or aborted. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted || ms <= 0) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#cancelSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#cancelSleep = done;
    });
  }
}
