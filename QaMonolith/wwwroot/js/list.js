// One list of questions or answers: keyset pages of 20 loaded as the reader nears the end, items arriving live at
// the top, and every item shown exactly once however it came (a page, a live event, the author's own post).

import { el, plural } from "./render.js";

// How far below the screen the next page starts loading, so a steady scroll rarely waits for it.
const aheadPx = 600;

export class ItemList {
  /**
   * @param {object} o
   * @param {HTMLOListElement} o.list where the items go
   * @param {HTMLElement} o.end the element after the list that the scroll watches
   * @param {HTMLElement} o.status the sentence under the list (loading, the end, an error)
   * @param {HTMLButtonElement} o.retry shown when a page failed to load
   * @param {(cursor: string|null) => Promise<{items: object[], nextCursor: string|null}>} o.load
   * @param {(item: object) => HTMLElement} o.render the inside of one item's <li>
   * @param {[string, string]} o.noun singular and plural, e.g. ["question", "questions"]
   * @param {string} o.empty what the list says while it has nothing
   */
  constructor({ list, end, status, retry, load, render, noun, empty }) {
    Object.assign(this, { list, end, status, retry, load, render, noun, empty });
    this.items = new Map();
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.started = false;
    // Bumped by a reload, so a page that was in flight before it is dropped on arrival.
    this.generation = 0;
    this.retry.addEventListener("click", () => this.loadMore());
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { rootMargin: `0px 0px ${aheadPx}px 0px` }).observe(end);
  }

  get size() {
    return this.items.size;
  }

  has(id) {
    return this.items.has(id);
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.loadMore();
  }

  /** Clears the list and loads it again from the first page: after a reset the live history cannot be trusted. */
  reload() {
    this.generation += 1;
    this.items.clear();
    this.list.replaceChildren();
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.started = true;
    this.loadMore();
  }

  /**
   * Puts a new item at the top unless it is already shown; returns whether it was added. With `replacing` (a
   * placeholder <li> in this list) the item takes the placeholder's place instead, so nothing on the page moves.
   */
  addTop(item, { arrived = true, replacing = null } = {}) {
    if (this.items.has(item.id)) return false;
    const node = this.node(item, arrived);
    if (replacing?.parentNode === this.list) replacing.replaceWith(node);
    else this.list.prepend(node);
    this.updateStatus();
    return true;
  }

  /**
   * Merges the current first page in at the top: what was posted between the first page and the socket's hello
   * reached neither, and this closes that gap. Items already shown stay where they are.
   */
  async refreshTop() {
    if (!this.started) return;
    try {
      const page = await this.load(null);
      for (const item of [...page.items].reverse()) {
        this.addTop(item, { arrived: false });
      }
    } catch {
      // The next live event or reconnect tries again; the list itself is still correct, only possibly behind.
    }
  }

  async loadMore() {
    if (!this.started || this.loading || this.done) return;
    this.loading = true;
    const generation = this.generation;
    this.retry.hidden = true;
    this.list.setAttribute("aria-busy", "true");
    this.status.textContent = `Loading ${this.size ? "more " : ""}${this.noun[1]}…`;
    try {
      const page = await this.load(this.cursor);
      if (generation !== this.generation) return;
      // An item that moved up (an upvote) between two pages comes again on a later one: skip it, it is shown.
      for (const item of page.items) {
        if (!this.items.has(item.id)) this.list.append(this.node(item, false));
      }
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
      this.loading = false;
      this.updateStatus();
      // The end may still be in view (a tall screen, a short page), and then the observer does not fire again.
      // Measured after layout, not remembered from the observer, whose last report predates the new items.
      requestAnimationFrame(() => {
        if (this.end.getBoundingClientRect().top < window.innerHeight + aheadPx) this.loadMore();
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.loading = false;
      this.status.textContent = `Could not load ${this.noun[1]}: ${error.message}`;
      this.retry.hidden = false;
    } finally {
      if (generation === this.generation) this.list.removeAttribute("aria-busy");
    }
  }

  node(item, arrived) {
    const li = el("li", { class: arrived ? "item arrived" : "item", "data-id": item.id }, this.render(item));
    this.items.set(item.id, li);
    return li;
  }

  updateStatus() {
    if (this.loading) return;
    if (this.size === 0 && this.done) {
      this.status.textContent = this.empty;
    } else if (this.done) {
      this.status.textContent = `All ${plural(this.size, this.noun[0], this.noun[1])} shown.`;
    } else {
      this.status.textContent = `Scroll for more ${this.noun[1]}.`;
    }
  }
}
