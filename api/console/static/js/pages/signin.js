import { signIn } from "../api.js";
import { errorText, field, h, notice } from "../ui.js";

export function signInPage(done) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const out = h("p", { class: "notice", hidden: true });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "signin card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", {}, "The operator console of your charging network."),
    field("Email", email),
    field("Password", password),
    button,
    out,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    notice(out, "Signing in…", "pending");
    try {
      await signIn(email.value.trim(), password.value);
      done();
    } catch (error) {
      notice(out, errorText(error), "error");
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  setTimeout(() => email.focus(), 0);
  return h("section", { class: "signin-wrap" }, form);
}
