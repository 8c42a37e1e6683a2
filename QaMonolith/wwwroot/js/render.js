// Rendering helpers shared by every page. Text from users and the model only ever becomes text nodes, never
// markup the browser parses: a "<script>" in a question is shown as those characters.

import { api } from "./api.js";

/** Creates an element; attrs are set as attributes, children are nodes or strings (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const steps = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Number.POSITIVE_INFINITY, "year"],
];

function ago(date) {
  let value = (date.getTime() - Date.now()) / 1000;
  if (Math.abs(value) < 45) return "just now";
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return absolute.format(date);
}

/** A <time> that says "5 minutes ago" and keeps saying the truth while the page stays open. */
export function timeAgo(iso) {
  const date = new Date(iso);
  return el("time", { datetime: iso, title: absolute.format(date), "data-ago": "" }, ago(date));
}

setInterval(() => {
  for (const node of document.querySelectorAll("time[data-ago]")) {
    node.textContent = ago(new Date(node.dateTime));
  }
}, 30_000);

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The upvote toggle: aria-pressed says whether this user has upvoted. The count comes from the server's answer,
 * so a double click or a second tab cannot make it drift. Votes are not pushed live; only the reader's own is shown.
 */
export function voteButton(kind, item, onError) {
  const count = el("span", { class: "vote-count" }, String(item.upvotes));
  const noun = kind === "questions" ? "question" : "answer";
  const button = el("button", { type: "button", class: "vote", "aria-pressed": String(item.upvotedByMe) }, arrow(), count);
  const label = () => {
    const n = Number(count.textContent);
    const state = button.getAttribute("aria-pressed") === "true" ? "You upvoted this" : `Upvote this ${noun}`;
    button.setAttribute("aria-label", `${state} (${plural(n, "upvote", "upvotes")})`);
  };
  label();
  button.addEventListener("click", async () => {
    const up = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    try {
      const result = await api.vote(kind, item.id, up);
      count.textContent = String(result.upvotes);
      button.setAttribute("aria-pressed", String(result.upvotedByMe));
      label();
    } catch (error) {
      onError(error.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function arrow() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "vote-arrow");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M8 3.5 13.5 10h-11z");
  svg.append(path);
  return svg;
}

/** Shows a page-level message (a failed vote, a missing course) in words, replacing the previous one. */
export function showPageError(message) {
  const box = document.getElementById("page-error");
  box.textContent = message;
  box.hidden = !message;
}

/** Tells screen readers about an item that arrived live, without reading out every page the scroll loads. */
export function announce(message) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  // A fresh text node after a tick makes repeated identical messages be read again.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** The start of a text on one line, for announcements. */
export function excerpt(text, length = 80) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
