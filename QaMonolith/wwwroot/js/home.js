// The main page: every course with its description and question count, each a link to its page.

import { api } from "./api.js";
import { el, plural } from "./render.js";

const list = document.getElementById("courses");
const status = document.getElementById("courses-status");

try {
  const { items } = await api.courses();
  list.replaceChildren(...items.map((course) =>
    el("li", { class: "course-card" },
      el("h2", { class: "course-title" }, el("a", { href: `/courses/${course.id}` }, course.name)),
      el("p", { class: "course-description" }, course.description),
      el("p", { class: "meta" }, plural(course.questionCount, "question", "questions")))));
  list.hidden = false;
  status.hidden = items.length > 0;
  status.textContent = items.length ? "" : "No courses yet.";
} catch (error) {
  status.textContent = `Could not load the courses: ${error.message}`;
}
