// What the course and question pages share: the id in the address, the connection indicator, and starting the
// list in step with the socket.

/** The numeric id after /courses/ or /questions/ in the address (the server only routes numeric ids here). */
export function idFromPath(segment) {
  const m = new RegExp(`^/${segment}/(\\d+)`).exec(location.pathname);
  return m ? Number(m[1]) : NaN;
}

const stateText = {
  connecting: ["Connecting…", "Connecting for live updates."],
  live: ["Live", "New posts appear here as they are made."],
  waiting: ["Offline", "Live updates are interrupted; this page reconnects by itself and then catches up."],
};

/** Drives the small indicator in the header; returns the onState callback for connectLive. */
export function bindLiveState() {
  const box = document.getElementById("live-state");
  const text = box.querySelector(".live-text");
  const detail = box.querySelector(".live-detail");
  return (state, seconds) => {
    const [label, title] = stateText[state];
    box.dataset.state = state;
    box.title = state === "waiting" ? `${title} Next try in ${seconds} s.` : title;
    text.textContent = label;
    detail.textContent = state === "waiting" ? ` · retrying in ${seconds} s` : "";
  };
}

/**
 * The socket's callbacks for a page with one list. The list loads after the socket's hello, so nothing posted in
 * between is missed; if the socket is slow or down the list loads anyway and merges the top once the socket is up.
 */
export function startWhenSynced(list, { onEvent, onReset }, onState) {
  setTimeout(() => list.start(), 1500);
  return {
    onEvent,
    onReset,
    onSynced(resumed) {
      if (resumed) return;
      if (list.started) list.refreshTop();
      else list.start();
    },
    onState(state, seconds) {
      onState(state, seconds);
      if (state === "waiting") list.start();
    },
  };
}

// The questions this browser asked, so their pages can say that the model is still writing. Kept short: only a
// question's first minutes matter.
const askedKey = "askedQuestions";

function asked() {
  try {
    const ids = JSON.parse(localStorage.getItem(askedKey) ?? "[]");
    return Array.isArray(ids) ? ids : [];
  } catch {
    return [];
  }
}

export function markAsked(questionId) {
  try {
    localStorage.setItem(askedKey, JSON.stringify([questionId, ...asked().filter((id) => id !== questionId)].slice(0, 20)));
  } catch {
    // Storage refused: the page just will not show the "being written" note.
  }
}

export function wasAsked(questionId) {
  return asked().includes(questionId);
}
