// A course page: its questions, most recently active first, with infinite scroll, the ask form, and new
// questions of this course arriving live at the top.

import { api } from "./api.js";
import { connectLive } from "./live.js";
import { ItemList } from "./list.js";
import { bindPostForm } from "./form.js";
import { bindLiveState, idFromPath, markAsked, startWhenSynced } from "./page.js";
import { announce, el, excerpt, plural, showPageError, timeAgo, voteButton } from "./render.js";

const courseId = idFromPath("courses");

function renderQuestion(q) {
  return el("article", { class: "card question-card" },
    voteButton("questions", q, showPageError),
    el("div", { class: "card-body" },
      el("a", { class: "question-link", href: `/questions/${q.id}` }, q.text),
      el("p", { class: "meta" },
        el("span", { class: "answer-count" }, plural(q.answerCount, "answer", "answers")),
        el("span", { "aria-hidden": "true" }, " · "),
        "asked ", timeAgo(q.createdAt))));
}

const list = new ItemList({
  list: document.getElementById("questions"),
  end: document.getElementById("questions-end"),
  status: document.getElementById("questions-status"),
  retry: document.getElementById("questions-more"),
  load: (cursor) => api.questions(courseId, cursor),
  render: renderQuestion,
  noun: ["question", "questions"],
  empty: "No questions yet. Be the first to ask one.",
});

bindPostForm(document.getElementById("ask-form"), (text) => api.ask(courseId, text), (question) => {
  markAsked(question.id);
  list.addTop(question);
}, "question");

const live = {
  onEvent(message) {
    if (message.type === "question.created" && message.question?.courseId === courseId && list.addTop(message.question)) {
      announce(`New question: ${excerpt(message.question.text)}`);
    }
  },
  onReset: () => list.reload(),
};
connectLive([`course:${courseId}`], startWhenSynced(list, live, bindLiveState()));

try {
  const course = await api.course(courseId);
  document.title = `${course.name} · Course Q&A`;
  const name = document.getElementById("course-name");
  name.textContent = course.name;
  name.classList.remove("placeholder-text");
  document.getElementById("course-description").textContent = course.description;
} catch (error) {
  showPageError(error.status === 404 ? "There is no such course. Pick one from the list of courses." : error.message);
  document.getElementById("course-name").textContent = "Course not found";
}
