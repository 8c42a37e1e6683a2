// The one place that talks to the REST API: identity header, JSON, and errors turned into sentences.

const userKey = "userUuid";

// crypto.randomUUID exists only in secure contexts; a course server on plain http inside a campus network is not
// one, so fall back to the same v4 layout from getRandomValues, which exists everywhere.
function newUuid() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Created once and kept: it is the user's only identity (and only secret), so it never leaves this browser except
// in the X-User-Id header. Storage can be refused (private modes); the id then lives as long as the page.
function loadUserId() {
  try {
    let id = localStorage.getItem(userKey);
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) {
      id = newUuid();
      localStorage.setItem(userKey, id);
    }
    return id;
  } catch {
    return newUuid();
  }
}

export const userId = loadUserId();

/** An API failure with what a person needs: a sentence, the status, and for 429 the seconds to wait. */
export class ApiError extends Error {
  constructor(message, status, retryAfter = 0) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

async function problemMessage(response) {
  try {
    const problem = await response.json();
    if (problem.detail || problem.title) {
      return problem.detail || problem.title;
    }
  } catch {
    // Not a problem document (a proxy's error page, say): fall through to the status.
  }
  if (response.status >= 500) {
    return `The server could not handle that just now (HTTP ${response.status}). Please try again in a moment.`;
  }
  return `The request was refused (HTTP ${response.status}).`;
}

async function request(method, path, body) {
  const headers = { "X-User-Id": userId, Accept: "application/json" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("Could not reach the server. Check your connection and try again.", 0);
  }
  if (!response.ok) {
    const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
    throw new ApiError(await problemMessage(response), response.status, Number.isFinite(retryAfter) ? retryAfter : 0);
  }
  return response.json();
}

function page(path, cursor) {
  const query = new URLSearchParams({ limit: "20" });
  if (cursor) {
    query.set("cursor", cursor);
  }
  return request("GET", `${path}?${query}`);
}

export const api = {
  courses: () => request("GET", "/api/courses"),
  course: (id) => request("GET", `/api/courses/${id}`),
  questions: (courseId, cursor) => page(`/api/courses/${courseId}/questions`, cursor),
  question: (id) => request("GET", `/api/questions/${id}`),
  answers: (questionId, cursor) => page(`/api/questions/${questionId}/answers`, cursor),
  ask: (courseId, text) => request("POST", `/api/courses/${courseId}/questions`, { text }),
  answer: (questionId, text) => request("POST", `/api/questions/${questionId}/answers`, { text }),
  /** kind is "questions" or "answers"; resolves to {upvotes, upvotedByMe}. */
  vote: (kind, id, up) => request(up ? "PUT" : "DELETE", `/api/${kind}/${id}/upvote`),
};
