// A question page: the question with a link back to its course, the answer form, and its answers (a user's or
// the model's) most recently active first, with infinite scroll and new ones arriving live at the top.

import { api } from "./api.js";
import { connectLive } from "./live.js";
import { ItemList } from "./list.js";
import { bindPostForm } from "./form.js";
import { bindLiveState, idFromPath, startWhenSynced, wasAsked } from "./page.js";
import { announce, arrow, el, excerpt, plural, showPageError, timeAgo, voteButton } from "./render.js";

const questionId = idFromPath("questions");
// The model gets this long to answer before the page stops saying it is writing (it may be switched off).
const pendingForMs = 10 * 60 * 1000;

let question = null;
let answerCount = 0;
let modelAnswered = false;
let firstPageLoaded = false;

// Model answers being written, by slot: their placeholder <li> and the highest delta seq shown. Deltas are
// best-effort (some may be lost, none replayed), so a placeholder shows the latest text it got and gives way to the
// saved answer, which answer.created brings with its slot. One that hears nothing for a minute was abandoned (the
// model failed, or its answer.created came before a late delta) and goes.
const writing = new Map();
const savedSlots = new Set();
const writingGoneAfterMs = 60_000;

function renderAnswer(a) {
  const byModel = a.author?.kind === "llm";
  if (byModel) {
    modelAnswered = true;
    queueMicrotask(updatePending);
  }
  const author = byModel
    ? [el("span", { class: "badge model" }, "Model answer"), el("span", { class: "model-name" }, a.author.model ?? "unknown model")]
    : [el("span", { class: "badge" }, "Student answer")];
  return el("article", { class: byModel ? "card answer-card by-model" : "card answer-card" },
    voteButton("answers", a, showPageError),
    el("div", { class: "card-body" },
      el("p", { class: "meta author" }, ...author, timeAgo(a.createdAt)),
      el("div", { class: "answer-text" }, a.text)));
}

// Laid out exactly as the saved answer will be (a vote box, the same meta line), so the swap moves nothing.
function renderWriting() {
  return el("article", { class: "card answer-card by-model writing", "aria-busy": "true" },
    el("button", { type: "button", class: "vote", disabled: true, "aria-label": "Votes open once the answer is saved" },
      arrow(), el("span", { class: "vote-count" }, "0")),
    el("div", { class: "card-body" },
      el("p", { class: "meta author" }, el("span", { class: "badge model" }, "Model answer"),
        el("span", { class: "writing-note" }, el("span", { class: "spinner", "aria-hidden": "true" }), "being written…")),
      el("div", { class: "answer-text" })));
}

function showDelta(delta) {
  if (delta.questionId !== questionId || savedSlots.has(delta.slot)) return;
  let slot = writing.get(delta.slot);
  if (slot && delta.seq <= slot.seq) return;
  if (!slot) {
    slot = { li: el("li", { class: "item writing-item", "data-slot": delta.slot }, renderWriting()), seq: 0, timer: 0 };
    document.getElementById("answers").prepend(slot.li);
    writing.set(delta.slot, slot);
    updatePending();
  }
  slot.seq = delta.seq;
  slot.li.querySelector(".answer-text").textContent = delta.text;
  clearTimeout(slot.timer);
  slot.timer = setTimeout(() => dropWriting(delta.slot), writingGoneAfterMs);
}

function dropWriting(slot, { remove = true } = {}) {
  const entry = writing.get(slot);
  if (!entry) return null;
  clearTimeout(entry.timer);
  writing.delete(slot);
  if (remove) entry.li.remove();
  queueMicrotask(updatePending);
  return entry.li;
}

const list = new ItemList({
  list: document.getElementById("answers"),
  end: document.getElementById("answers-end"),
  status: document.getElementById("answers-status"),
  retry: document.getElementById("answers-more"),
  load: async (cursor) => {
    const page = await api.answers(questionId, cursor);
    firstPageLoaded = true;
    queueMicrotask(updatePending);
    return page;
  },
  render: renderAnswer,
  noun: ["answer", "answers"],
  empty: "No answers yet.",
});

// Shown to the asker once the question and the first answers are in (so it never flashes), until the first model
// answer arrives.
function updatePending() {
  const waiting = question !== null && firstPageLoaded && !modelAnswered && wasAsked(questionId)
    && Date.now() - new Date(question.createdAt).getTime() < pendingForMs;
  // A placeholder already shows the writing: the notice would say it twice.
  document.getElementById("answers-pending").hidden = !waiting || writing.size > 0;
  // "No answers yet" under "answers are being written" says the same thing twice.
  document.getElementById("answers-status").hidden = (waiting || writing.size > 0) && list.size === 0;
}

function showAnswerCount() {
  if (question === null) return;
  const meta = document.getElementById("question-meta");
  meta.replaceChildren(plural(answerCount, "answer", "answers"), el("span", { "aria-hidden": "true" }, " · "),
    "asked ", timeAgo(question.createdAt));
}

function added(answer) {
  answerCount += 1;
  showAnswerCount();
  return answer;
}

bindPostForm(document.getElementById("answer-form"), (text) => api.answer(questionId, text), (answer) => {
  if (list.addTop(answer)) added(answer);
}, "answer");

const live = {
  onEvent(message) {
    if (message.type === "answer.delta") {
      showDelta(message);
      return;
    }
    if (message.type !== "answer.created" || message.answer?.questionId !== questionId) return;
    const slot = Number.isInteger(message.slot) ? message.slot : null;
    if (slot !== null) savedSlots.add(slot);
    const placeholder = slot === null ? null : dropWriting(slot, { remove: false });
    // Replacing in place, without the arrival highlight: the reader has watched this answer appear already.
    if (list.addTop(message.answer, { arrived: placeholder === null, replacing: placeholder })) {
      added(message.answer);
      const who = message.answer.author?.kind === "llm" ? "New model answer" : "New answer";
      announce(`${who}: ${excerpt(message.answer.text)}`);
    } else {
      placeholder?.remove();
    }
  },
  onReset: () => {
    for (const slot of [...writing.keys()]) dropWriting(slot);
    list.reload();
  },
};
connectLive([`question:${questionId}`], startWhenSynced(list, live, bindLiveState()));

try {
  question = await api.question(questionId);
  answerCount = Math.max(answerCount, question.answerCount);
  const text = document.getElementById("question-text");
  text.textContent = question.text;
  text.classList.remove("placeholder-text");
  document.title = `${excerpt(question.text, 60)} · Course Q&A`;
  document.getElementById("question-vote").replaceChildren(voteButton("questions", question, showPageError));
  document.getElementById("question").removeAttribute("aria-busy");
  showAnswerCount();
  updatePending();
  const course = await api.course(question.courseId);
  const link = document.getElementById("course-link");
  link.href = `/courses/${course.id}`;
  link.textContent = course.name;
} catch (error) {
  showPageError(error.status === 404 ? "There is no such question. It may have been asked in another course." : error.message);
  document.getElementById("question-text").textContent = "Question not found";
}
