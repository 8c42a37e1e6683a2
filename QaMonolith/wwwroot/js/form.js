// The ask and answer forms: disabled while sending, the API's refusal shown in words next to the form, and a 429
// shown as a countdown of the seconds the server asked us to wait.

/**
 * @param {HTMLFormElement} form with a fieldset, a textarea, a submit button and a .feedback element
 * @param {(text: string) => Promise<object>} send posts the text, resolving to the created item
 * @param {(item: object) => void} posted shows the created item
 * @param {string} what "question" or "answer", for the messages
 */
export function bindPostForm(form, send, posted, what) {
  const fieldset = form.querySelector("fieldset");
  const textarea = form.querySelector("textarea");
  const button = form.querySelector("button[type=submit]");
  const feedback = form.querySelector(".feedback");
  const idleLabel = button.textContent;
  let waitUntil = 0;
  let countdown = null;

  function say(message, tone) {
    feedback.textContent = message;
    feedback.dataset.tone = tone ?? "";
  }

  function startCountdown(seconds, message) {
    waitUntil = Date.now() + seconds * 1000;
    clearInterval(countdown);
    const tick = () => {
      const left = Math.ceil((waitUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(countdown);
        button.disabled = false;
        say(`You can post your ${what} now.`, "info");
        return;
      }
      button.disabled = true;
      say(`${message} Please wait ${left} s before posting again.`, "error");
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  // Editing the text clears an old error (not a running countdown: the wait is still true).
  textarea.addEventListener("input", () => {
    textarea.removeAttribute("aria-invalid");
    if (Date.now() >= waitUntil && feedback.dataset.tone === "error") say("");
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (fieldset.disabled || Date.now() < waitUntil) return;
    const text = textarea.value.trim();
    if (!text) {
      textarea.setAttribute("aria-invalid", "true");
      say(`Write your ${what} first.`, "error");
      textarea.focus();
      return;
    }
    fieldset.disabled = true;
    button.textContent = "Posting…";
    say("");
    try {
      const item = await send(text);
      textarea.value = "";
      posted(item);
      say(`Your ${what} is posted.`, "success");
    } catch (error) {
      if (error.status === 429) {
        // The detail repeats the wait in its own words; the countdown is ours, so keep only its first sentence.
        startCountdown(error.retryAfter || 60, firstSentence(error.message));
      } else {
        if (error.status === 400) textarea.setAttribute("aria-invalid", "true");
        say(error.message, "error");
      }
    } finally {
      fieldset.disabled = false;
      button.textContent = idleLabel;
      if (Date.now() < waitUntil) button.disabled = true;
      textarea.focus();
    }
  });
}

function firstSentence(text) {
  const m = /^[^.!?]*[.!?]/.exec(text);
  return m ? m[0] : text;
}
