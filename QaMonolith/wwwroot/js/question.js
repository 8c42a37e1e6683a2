// A question page: the question with a link back to its course, the answer form, and its answers (a user's or
// the model's) most recently active first, with infinite scroll and new ones arriving live at the top.

import { api } from "./api.js";
import { connectLive } from "./live.js";
import { ItemList } from "./list.js";
import { bindPostForm } from "./form.js";
import { bindLiveState, idFromPath, startWhenSynced, wasAsked } from "./page.js";
import { announce, el, excerpt, plural, showPageError, timeAgo, voteButton } from "./render.js";

const questionId = idFromPath("questions");
// The model gets this long to answer before the page stops saying it is writing (it may be switched off).
const pendingForMs = 10 * 60 * 1000;

let question = null;
let answerCount = 0;
let modelAnswered = false;
let firstPageLoaded = false;

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
  document.getElementById("answers-pending").hidden = !waiting;
  // "No answers yet" under "answers are being written" says the same thing twice.
  document.getElementById("answers-status").hidden = waiting && list.size === 0;
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
    if (message.type === "answer.created" && message.answer?.questionId === questionId && list.addTop(message.answer)) {
      added(message.answer);
      const who = message.answer.author?.kind === "llm" ? "New model answer" : "New answer";
      announce(`${who}: ${excerpt(message.answer.text)}`);
    }
  },
  onReset: () => list.reload(),
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
