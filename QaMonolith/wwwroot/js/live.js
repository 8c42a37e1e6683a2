// The one WebSocket client, written to DESIGN.md's /ws protocol: connect with topics, resume with after=<eventId>,
// reconnect with exponential backoff and jitter, and tell the page when it must reload over REST.

const baseDelayMs = 500;
const maxDelayMs = 30_000;
// A socket that stayed up this long was healthy; only then does the backoff start again from the bottom, so a
// server that accepts and at once closes (1008, 1013) cannot make clients reconnect in a tight loop.
const healthyAfterMs = 5_000;

// Stream ids are "<ms>-<seq>"; compared as numbers, never as strings ("9-0" < "10-0").
function parseId(id) {
  const m = /^(\d+)-(\d+)$/.exec(id ?? "");
  return m ? [BigInt(m[1]), BigInt(m[2])] : null;
}

function isNewer(id, than) {
  const a = parseId(id);
  const b = parseId(than);
  if (!a) return false;
  if (!b) return true;
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/**
 * Keeps one socket open for the page's topics.
 * - onEvent(message): a question.created / answer.created, in stream order (may repeat; the page dedupes by id).
 * - onSynced(resumed): the socket is open; resumed is false on the first connection, when the page should fetch
 *   its list (or its top) because events before the hello were never sent to it.
 * - onReset(): the server no longer holds our position; reload the list over REST.
 * - onState(state, detail): "connecting" | "live" | "waiting" (detail: seconds until the next try).
 */
export function connectLive(topics, { onEvent, onSynced, onReset, onState }) {
  let lastEventId = null;
  let attempt = 0;
  let socket = null;
  let retryTimer = null;
  let countdownTimer = null;
  let stopped = false;

  function url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ topics: topics.join(",") });
    if (lastEventId) {
      query.set("after", lastEventId);
    }
    // URLSearchParams would escape the comma and colon; the server reads either, but the plain form is the documented one.
    return `${scheme}//${location.host}/ws?${query.toString().replace(/%2C/g, ",").replace(/%3A/g, ":")}`;
  }

  function open() {
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
    if (stopped) return;
    onState("connecting");
    const resuming = lastEventId !== null;
    let helloId = null;
    let openedAt = 0;
    const ws = new WebSocket(url());
    socket = ws;

    ws.addEventListener("message", (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      switch (message.type) {
        case "hello":
          openedAt = Date.now();
          helloId = message.lastEventId || null;
          if (!resuming) {
            lastEventId = helloId;
          }
          onState("live");
          onSynced(resuming);
          break;
        case "reset":
          // Our position was trimmed away: everything up to the hello is in the REST list we reload now.
          lastEventId = helloId;
          onReset();
          break;
        default:
          if (message.eventId && isNewer(message.eventId, lastEventId)) {
            lastEventId = message.eventId;
          }
          onEvent(message);
      }
    });

    ws.addEventListener("close", () => {
      if (socket !== ws) return;
      socket = null;
      if (openedAt && Date.now() - openedAt >= healthyAfterMs) {
        attempt = 0;
      }
      scheduleRetry();
    });
  }

  function scheduleRetry() {
    if (stopped) return;
    // Equal jitter: half the window fixed, half random, so a server restart is not met by every client at once.
    const span = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
    const delay = span / 2 + Math.random() * (span / 2);
    attempt += 1;
    const due = Date.now() + delay;
    const tick = () => onState("waiting", Math.max(1, Math.ceil((due - Date.now()) / 1000)));
    tick();
    countdownTimer = setInterval(tick, 1000);
    retryTimer = setTimeout(open, delay);
  }

  // Back on the network: no reason to wait out the rest of the backoff.
  window.addEventListener("online", () => {
    if (socket === null) {
      attempt = 0;
      open();
    }
  });
  // A page kept in the back-forward cache must not hold a socket; it resumes from its last id when shown again.
  window.addEventListener("pagehide", () => {
    stopped = true;
    socket?.close(1000);
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) {
      stopped = false;
      open();
    }
  });

  open();
}
