// Live updates: a one-time ticket (POST, with the bearer token) opens an EventSource, so the
// token itself never appears in a URL. The stream says what changed (kind, ids); views
// re-read it through the API. On any loss a new ticket is fetched (a spent ticket cannot
// reopen the stream), with backoff; after a reconnection views re-read everything.

const MAX_BACKOFF_MS = 30000;

export class LiveFeed extends EventTarget {
  #api;
  #source = null;
  #timer = null;
  #failures = 0;
  #stopped = false;
  #connectedBefore = false;

  constructor(api) {
    super();
    this.#api = api;
    this.status = "connecting";
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#source) this.#source.close();
    this.#source = null;
    this.#setStatus("offline");
  }

  #setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  #retry(delayMs) {
    if (this.#stopped) return;
    this.#setStatus("reconnecting");
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connect(), delayMs);
  }

  #backoff() {
    this.#failures += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  async #connect() {
    if (this.#stopped) return;
    let ticket;
    try {
      ticket = await this.#api.post("/api/v1/events/tickets");
    } catch (error) {
      if (error.status === 401) return; // signed out: the app shows the sign-in page
      this.#retry(this.#backoff());
      return;
    }
    if (this.#stopped) return;
    const source = new EventSource(ticket.stream_url);
    this.#source = source;
    source.addEventListener("ready", () => {
      this.#failures = 0;
      this.#setStatus("live");
      if (this.#connectedBefore) this.dispatchEvent(new Event("resync"));
      this.#connectedBefore = true;
    });
    source.addEventListener("change", (event) => {
      this.dispatchEvent(new CustomEvent("change", { detail: JSON.parse(event.data) }));
    });
    source.addEventListener("resync", () => this.dispatchEvent(new Event("resync")));
    source.addEventListener("bye", (event) => {
      source.close();
      const { reason } = JSON.parse(event.data);
      if (reason === "token expired") {
        this.#setStatus("offline");
        this.dispatchEvent(new Event("expired"));
      } else {
        this.#retry(250 + Math.random() * 1000); // this instance is leaving: go to another
      }
    });
    source.addEventListener("error", () => {
      // The browser would reconnect with the spent ticket; take over instead.
      source.close();
      if (this.#source === source) this.#retry(this.#backoff());
    });
  }
}
