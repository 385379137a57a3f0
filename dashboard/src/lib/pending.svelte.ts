// One action in flight (a form's submit, a drop, a toggle): `busy` while it runs, `error` holding
// the message of its last failure. By default a failure is also shown as a toast (`fail`);
// `new Pending({ toast: false })` only keeps it in `error`, for a form that shows it inline.
import { fail, message } from './toast.svelte';

export class Pending {
  busy = $state(false);
  error = $state('');
  #toast: boolean;

  constructor({ toast = true }: { toast?: boolean } = {}) {
    this.#toast = toast;
  }

  /** Runs `work`; true when it finished without throwing. */
  async run(work: () => unknown): Promise<boolean> {
    this.busy = true;
    this.error = '';
    try {
      await work();
      return true;
    } catch (e) {
      this.error = message(e);
      if (this.#toast) fail(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
